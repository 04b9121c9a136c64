package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func withFrozen(t *testing.T, name string) {
	old, oldCache := frozen, schemaCache
	frozen, schemaCache = name, ""
	t.Cleanup(func() { frozen, schemaCache = old, oldCache })
}

func TestFrozenLaunchRunsTheProviderBesideTheLauncher(t *testing.T) {
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	name := "frozen-provider-" + sha16(t.Name())
	path := filepath.Join(filepath.Dir(exe), name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	withFrozen(t, name)
	os.Setenv("PYTHONPATH", "/theirs")
	defer os.Unsetenv("PYTHONPATH")
	l := coldLaunch()
	if l.interp != path || l.args[0] != path || len(l.args) != len(os.Args) {
		t.Fatalf("launch %q %q", l.interp, l.args)
	}
	for i, a := range os.Args[1:] {
		if l.args[i+1] != a { // the launch's own arguments, no -s -P -m
			t.Fatalf("args %q", l.args)
		}
	}
	if strings.Contains(strings.Join(l.env, "\n"), "PYTHONPATH=") || strings.Contains(strings.Join(l.env, "\n"), goLauncherEnv) {
		t.Fatal("the launch request's environment must hold neither PYTHONPATH nor the marker")
	}
	execEnv := coldExecEnv(l)
	if execEnv[len(execEnv)-1] != goLauncherEnv+"=1" || len(execEnv) != len(l.env)+1 {
		t.Fatalf("the cold exec must carry the marker: %v", execEnv[len(execEnv)-1])
	}
	if zygoteArgs() != nil {
		t.Fatalf("the frozen zygote is the executable itself: %q", zygoteArgs())
	}
}

func TestVirtualenvLaunchIsUnchanged(t *testing.T) {
	withFrozen(t, "")
	l := launch{env: []string{"A=1"}}
	if got := coldExecEnv(l); len(got) != 1 {
		t.Fatalf("env %v", got)
	}
	if got := strings.Join(zygoteArgs(), " "); got != "-s -P -m "+module {
		t.Fatalf("zygote args %q", got)
	}
}

func TestTheReleaseCacheIsBesideTheProviderAndNamesIt(t *testing.T) {
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	name := "frozen-provider-" + sha16(t.Name())
	path := filepath.Join(filepath.Dir(exe), name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	withFrozen(t, name)
	l := coldLaunch()
	if schemaCache != path+releaseCacheSuffix {
		t.Fatalf("schema cache %q", schemaCache)
	}
	write := func(python string, methods string) {
		body := `{"v": 1, "python": "` + python + `", "module": "", "pythonpath": "", "files": [], "methods": {` + methods + `}}`
		if err := os.WriteFile(schemaCache, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	defer os.Remove(path + releaseCacheSuffix)
	write(name, `"`+methodSchema+`": "AAEC"`)
	if c, err := loadSchemaCache(schemaCache, l.interp); err != nil || string(c.Methods[methodSchema]) != "\x00\x01\x02" {
		t.Fatalf("the release's cache must load with no file stamps: %v", err)
	}
	write("other-provider", `"`+methodSchema+`": "AAEC"`)
	if _, err := loadSchemaCache(schemaCache, l.interp); err == nil {
		t.Fatal("a cache of another provider must not be served")
	}
	write(name, ``)
	if _, err := loadSchemaCache(schemaCache, l.interp); err == nil {
		t.Fatal("a cache without the schema must not be served")
	}
}
