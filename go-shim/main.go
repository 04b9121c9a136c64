// Command go-shim is the executable Terraform runs as the provider.
//
// A cold launch replaces itself (exec, never fork) with the Python interpreter recorded at
// install time running the provider module, so Terraform's signals and SIGKILL reach the real
// provider and nothing is left behind. Two fast paths (issue 17, spec: the zygote protocol v1)
// come first on a normal launch by Terraform on Linux, unless TF_SPARKPOST_FAST_LAUNCH is off:
//   - zygote.go: a later launch of one Terraform process is forked from a pre-started
//     interpreter (the zygote) that the first launch started;
//   - server.go: the first launch answers GetProviderSchema from a schema cached at install
//     time (cache.go) and proxies anything else to a Python provider started on demand
//     (proxy.go).
//
// Any failure of a fast path before the launch is handed over falls back to the cold launch.
// Install-time values come in through -ldflags "-X main.python=... -X main.module=..."; the
// release's launcher gets "-X main.frozen=NAME" instead (frozen.go).
// Standard library only, so Debian's Go 1.19 builds it offline.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

var (
	python      = ""         // absolute path of the interpreter that has the provider installed
	module      = "provider" // the module run with -m
	pkgFile     = ""         // a file that exists when the package is installed (checked before exec)
	pythonPath  = ""         // extra import path (tests' own providers live outside site-packages)
	envName     = "TF_SPARKPOST_PYTHON"
	fastEnvName = "TF_SPARKPOST_FAST_LAUNCH" // 0/off/false/no turns both fast paths off
	schemaCache = ""                         // absolute path of the schema cache written at install
)

const (
	cookieKey   = "TF_PLUGIN_MAGIC_COOKIE"
	cookieValue = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
	logPrefix   = "terraform-provider launcher: "
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "terraform-provider-sparkpost launcher: "+format+"\n", args...)
	os.Exit(1)
}

// debugf writes a line Terraform shows in its log (it logs a plugin's stderr), only when
// TF_LOG is set: a fast path's fallback is otherwise silent.
func debugf(format string, args ...interface{}) {
	if os.Getenv("TF_LOG") != "" {
		fmt.Fprintf(os.Stderr, "[DEBUG] "+logPrefix+format+"\n", args...)
	}
}

// launch is what a cold launch runs: the interpreter, its arguments and its environment.
type launch struct {
	interp string
	args   []string // argv, interp first
	env    []string
}

func coldLaunch() launch {
	if frozen != "" {
		return frozenLaunch() // the release (frozen.go)
	}
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
	// -s: ignore the user's site-packages; -P: never put the working directory (the user's
	// Terraform configuration) on the import path.
	args := append([]string{interp, "-s", "-P", "-m", module}, os.Args[1:]...)
	return launch{interp: interp, args: args, env: providerEnv(os.Environ())}
}

// providerEnv is the environment the provider gets: the provider runs on its own virtualenv
// only, so a PYTHONPATH or PYTHONHOME from the user's shell could shadow its packages.
func providerEnv(environ []string) []string {
	env := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "PYTHONPATH=") && !strings.HasPrefix(kv, "PYTHONHOME=") {
			env = append(env, kv)
		}
	}
	if pythonPath != "" {
		env = append(env, "PYTHONPATH="+pythonPath)
	}
	return env
}

// fastLaunchAllowed: a launch by Terraform (its cookie, no arguments: not --debug, --version)
// on Linux, with the switch not off.
func fastLaunchAllowed(getenv func(string) string, args []string) bool {
	if runtime.GOOS != "linux" || len(args) != 0 || getenv(cookieKey) != cookieValue {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(getenv(fastEnvName))) {
	case "0", "off", "false", "no":
		return false
	}
	return true
}

func execCold(l launch) {
	signal.Reset() // a fast path that gave up may have ignored SIGINT: exec keeps ignored signals
	if err := syscall.Exec(l.interp, l.args, coldExecEnv(l)); err != nil {
		fail("cannot start %s: %v", l.interp, err)
	}
}

func main() {
	cold := coldLaunch()
	if fastLaunchAllowed(os.Getenv, os.Args[1:]) {
		fastLaunch(cold) // returns only when the launch should go cold
	}
	if os.Getenv(cookieKey) == cookieValue && readerGone(1) {
		os.Exit(1) // Terraform died: nobody reads the handshake line (zygote.go)
	}
	execCold(cold)
}
