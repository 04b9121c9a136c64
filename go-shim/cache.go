package main

// The schema cache written at install (scripts/install_provider.py): the serialized responses
// launch 1 answers without Python, and what tells whether they still describe the installed
// provider.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

const schemaCacheVersion = 1

// fileStamp is one source file of the installed provider as it was when the cache was made.
type fileStamp struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtime_ns"`
}

type schemaCacheFile struct {
	V          int               `json:"v"`
	Python     string            `json:"python"`
	Module     string            `json:"module"`
	PythonPath string            `json:"pythonpath"`
	Files      []fileStamp       `json:"files"`   // the interpreter and every .py file of the provider's packages
	Methods    map[string][]byte `json:"methods"` // full gRPC method name -> serialized response
}

// loadSchemaCache reads the cache and returns it only when it is fresh for this launch: same
// interpreter, module and import path, and every recorded file unchanged (size and mtime), so
// an edited editable install never gets a stale schema.
func loadSchemaCache(path, interp string) (*schemaCacheFile, error) {
	if path == "" {
		return nil, errors.New("no schema cache was installed")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c schemaCacheFile
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("unreadable schema cache: %v", err)
	}
	if frozen != "" { // the release's own cache (frozen.go)
		if err := checkReleaseCache(&c); err != nil {
			return nil, err
		}
		return &c, nil
	}
	if c.V != schemaCacheVersion || c.Python != interp || c.Module != module || c.PythonPath != pythonPath {
		return nil, errors.New("the schema cache was made for another interpreter or module")
	}
	if len(c.Files) == 0 || len(c.Methods[methodSchema]) == 0 {
		return nil, errors.New("the schema cache is incomplete")
	}
	for _, f := range c.Files {
		st, err := os.Stat(f.Path)
		if err != nil || st.Size() != f.Size || st.ModTime().UnixNano() != f.MtimeNs {
			return nil, fmt.Errorf("the schema cache is stale (%s changed)", f.Path)
		}
	}
	return &c, nil
}
