// Command go-shim is the executable Terraform runs as the provider. It replaces itself (exec,
// never fork) with the Python interpreter recorded at install time running the provider
// module, so Terraform's signals and SIGKILL reach the real provider and nothing is left behind.
//
// Install-time values come in through -ldflags "-X main.python=... -X main.module=...".
// Standard library only, so Debian's Go 1.19 builds it offline.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

var (
	python     = ""         // absolute path of the interpreter that has the provider installed
	module     = "provider" // the module run with -m
	pkgFile    = ""         // a file that exists when the package is installed (checked before exec)
	pythonPath = ""         // extra import path (tests' own providers live outside site-packages)
	envName    = "TF_SPARKPOST_PYTHON"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "terraform-provider-sparkpost launcher: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	interp := python
	overridden := false
	if v := os.Getenv(envName); v != "" {
		interp, overridden = v, true
	}
	if interp == "" {
		fail("no Python interpreter was recorded at install time; run 'make install' again or set %s.", envName)
	}
	if !filepath.IsAbs(interp) {
		fail("%s must be an absolute path to a Python interpreter, got %q.", envName, interp)
	}
	if st, err := os.Stat(interp); err != nil || st.IsDir() {
		fail("Python interpreter %s is missing (was the virtualenv removed?); run 'make install' again or set %s.", interp, envName)
	}
	if !overridden && pkgFile != "" {
		if _, err := os.Stat(pkgFile); err != nil {
			fail("the provider package is not installed for %s (%s is missing); run 'make install' again.", interp, pkgFile)
		}
	}
	// The provider runs on its own virtualenv only: a PYTHONPATH or PYTHONHOME from the user's
	// shell could shadow its packages.
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYTHONPATH=") && !strings.HasPrefix(kv, "PYTHONHOME=") {
			env = append(env, kv)
		}
	}
	if pythonPath != "" {
		env = append(env, "PYTHONPATH="+pythonPath)
	}
	// -s: ignore the user's site-packages; -P: never put the working directory (the user's
	// Terraform configuration) on the import path.
	args := append([]string{interp, "-s", "-P", "-m", module}, os.Args[1:]...)
	if err := syscall.Exec(interp, args, env); err != nil {
		fail("cannot start %s: %v", interp, err)
	}
}
