package main

// The release's launcher. scripts/release.py builds this program with
// -ldflags "-X main.frozen=NAME" and ships it as the file Terraform executes; the frozen provider
// (PyInstaller's one-folder executable) sits beside it as NAME, next to its _internal/ folder. A
// cold launch then execs NAME (no interpreter, no -m), and the zygote is NAME --zygote ...: the
// fast paths are the same as in a virtualenv install, without the frozen bootloader's 60-80 ms
// on every warm launch. The first launch answers GetProviderSchema from NAME.schema-cache.json,
// written by the build beside NAME.

import (
	"errors"
	"os"
	"path/filepath"
)

var frozen = "" // the frozen provider's file name beside this launcher; "" in a virtualenv install

// goLauncherEnv tells the frozen provider, on a cold exec, that this launcher has already tried
// the zygote, so it must not try its own Python warm client (provider/tfplugin/cli.py removes
// it from its environment before anything reads it). Never in a zygote's or a child's environment.
const goLauncherEnv = "TFPLUGIN_GO_LAUNCHER"

// frozenLaunch is the cold launch of the release: <this launcher's real directory>/<frozen>
// with this launch's arguments.
func frozenLaunch() launch {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		fail("cannot find the launcher's own path: %v", err)
	}
	path := filepath.Join(filepath.Dir(exe), frozen)
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		fail("the provider %s is missing beside its launcher; the package is incomplete: run 'terraform init -upgrade'.", path)
	}
	if cache := path + releaseCacheSuffix; schemaCache == "" {
		schemaCache = cache // the release's schema cache, beside the provider (server.go answers launch 1 from it)
	}
	args := append([]string{path}, os.Args[1:]...)
	return launch{interp: path, args: args, env: providerEnv(os.Environ())}
}

// releaseCacheSuffix: the release's schema cache is <frozen>.schema-cache.json beside it.
const releaseCacheSuffix = ".schema-cache.json"

// checkReleaseCache tells whether a release's schema cache is the one of this provider. It is
// made by the same build and shipped in the same zip, whose hashes Terraform checks at install:
// nothing to stamp. It names the frozen provider it describes instead of an interpreter.
func checkReleaseCache(c *schemaCacheFile) error {
	if c.V != schemaCacheVersion || c.Python != frozen || len(c.Methods[methodSchema]) == 0 {
		return errors.New("the release's schema cache is not this provider's")
	}
	return nil
}

// zygoteArgs is what the zygote's executable is given before "--zygote NAME TFPID LAUNCHER".
func zygoteArgs() []string {
	if frozen != "" {
		return nil
	}
	// -s: ignore the user's site-packages; -P: never the working directory on the import path.
	return []string{"-s", "-P", "-m", module}
}

// coldExecEnv is the environment of the cold exec: the frozen provider's carries the marker.
func coldExecEnv(l launch) []string {
	if frozen == "" {
		return l.env
	}
	return append(append([]string(nil), l.env...), goLauncherEnv+"=1")
}
