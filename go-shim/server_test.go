package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOffersProtocol6(t *testing.T) {
	for v, want := range map[string]bool{"": true, "6": true, "5,6": true, " 5 , 6 ": true, "5": false, "4,5": false, "16": false} {
		if got := offersProtocol6(v); got != want {
			t.Errorf("%q: %v", v, got)
		}
	}
}

func TestSocketDirIsNamedForTheSweepAndPrivate(t *testing.T) {
	tmp := t.TempDir()
	old := syscallUmask(0o077)
	defer syscallUmask(old)
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		d, err := makeSocketDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(d)
		if !regexp.MustCompile(`^tfprovider-` + strconv.FormatInt(int64(os.Getpid()), 36) + `-[0-9a-z]{2}$`).MatchString(name) {
			t.Fatalf("name %q", name)
		}
		st, _ := os.Stat(d)
		if st.Mode().Perm() != 0o700 {
			t.Fatalf("mode %o", st.Mode().Perm())
		}
		if seen[name] {
			t.Fatalf("reused %q", name)
		}
		seen[name] = true
	}
}

func writeCache(t *testing.T, c schemaCacheFile) string {
	path := filepath.Join(t.TempDir(), "cache.json")
	b, _ := json.Marshal(c)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSchemaCacheFreshness(t *testing.T) {
	src := filepath.Join(t.TempDir(), "mod.py")
	os.WriteFile(src, []byte("x = 1\n"), 0o600)
	st, _ := os.Stat(src)
	stamp := fileStamp{Path: src, Size: st.Size(), MtimeNs: st.ModTime().UnixNano()}
	good := schemaCacheFile{V: 1, Python: "/py", Module: module, PythonPath: pythonPath, Files: []fileStamp{stamp},
		Methods: map[string][]byte{methodSchema: []byte("schema")}}
	c, err := loadSchemaCache(writeCache(t, good), "/py")
	if err != nil || string(c.Methods[methodSchema]) != "schema" {
		t.Fatalf("fresh cache refused: %v", err)
	}
	if _, err := loadSchemaCache(writeCache(t, good), "/other/py"); err == nil {
		t.Fatal("a cache for another interpreter was served")
	}
	stale := good
	stale.Files = []fileStamp{{Path: src, Size: stamp.Size, MtimeNs: stamp.MtimeNs + 1}}
	if _, err := loadSchemaCache(writeCache(t, stale), "/py"); err == nil || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("stale cache: %v", err)
	}
	gone := good
	gone.Files = []fileStamp{stamp, {Path: src + ".deleted", Size: 1, MtimeNs: 1}}
	if _, err := loadSchemaCache(writeCache(t, gone), "/py"); err == nil {
		t.Fatal("a cache naming a deleted file was served")
	}
	empty := good
	empty.Methods = map[string][]byte{}
	if _, err := loadSchemaCache(writeCache(t, empty), "/py"); err == nil {
		t.Fatal("a cache without the schema was served")
	}
	future := good
	future.V = 2
	if _, err := loadSchemaCache(writeCache(t, future), "/py"); err == nil {
		t.Fatal("a cache of another format was served")
	}
	if _, err := loadSchemaCache("", "/py"); err == nil {
		t.Fatal("no cache path must be an error")
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{"), 0o600)
	if _, err := loadSchemaCache(bad, "/py"); err == nil {
		t.Fatal("garbage was served")
	}
}

func TestFrame(t *testing.T) {
	got := frame([]byte{8, 1})
	if string(got) != "\x00\x00\x00\x00\x02\x08\x01" {
		t.Fatalf("%q", got)
	}
	if string(frame(nil)) != "\x00\x00\x00\x00\x00" {
		t.Fatal("empty message")
	}
}

func TestReplaceEnv(t *testing.T) {
	got := replaceEnv([]string{"A=1", "PLUGIN_CLIENT_CERT=theirs", "B=2"}, "PLUGIN_CLIENT_CERT", "ours")
	if strings.Join(got, " ") != "A=1 B=2 PLUGIN_CLIENT_CERT=ours" {
		t.Fatalf("%v", got)
	}
}

func TestCertificateIsShapedLikeTheProviders(t *testing.T) {
	padded := 0
	for i := 0; i < 30; i++ {
		c, err := newCertificate()
		if err != nil {
			t.Fatal(err)
		}
		text := c.handshakeText()
		if strings.ContainsAny(text, "=\n|") {
			t.Fatalf("handshake text %q", text)
		}
		der, err := base64.RawStdEncoding.DecodeString(text)
		if err != nil {
			t.Fatal(err)
		}
		if len(der)%3 != 0 {
			padded++
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		if cert.Subject.CommonName != "localhost" || len(cert.DNSNames) != 1 || cert.DNSNames[0] != "localhost" || !cert.IsCA {
			t.Fatalf("subject %v names %v ca %v", cert.Subject, cert.DNSNames, cert.IsCA)
		}
		if _, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || cert.SignatureAlgorithm != x509.ECDSAWithSHA256 {
			t.Fatalf("key %T alg %v", cert.PublicKey, cert.SignatureAlgorithm)
		}
		if cert.NotAfter.Sub(time.Now()) > 25*time.Hour || time.Now().Before(cert.NotBefore) {
			t.Fatalf("validity %v - %v", cert.NotBefore, cert.NotAfter)
		}
		roots := x509.NewCertPool()
		roots.AddCert(cert)
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Fatalf("go-plugin's check (the handshake's certificate as the only root) fails: %v", err)
		}
		if !strings.HasPrefix(c.pem(), "-----BEGIN CERTIFICATE-----\n") {
			t.Fatal("pem")
		}
	}
	if padded == 0 {
		t.Fatal("no certificate length needed padding: the unpadded check above proved nothing")
	}
}

func TestSweepRemovesOnlyDeadLaunchesSocketDirectories(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	b36pid := func(pid int) string { return strconv.FormatInt(int64(pid), 36) }
	mk := func(name string, files ...string) string {
		p := filepath.Join(tmp, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(p, f), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	stale := mk("tfprovider-"+b36pid(dead.Process.Pid)+"-ab", "plugin.sock")
	live := mk("tfprovider-"+b36pid(os.Getppid())+"-cd", "plugin.sock")
	foreign := mk("tfprovider-"+b36pid(dead.Process.Pid)+"-ef", "plugin.sock", "notes.txt")
	odd := mk("tfprovider-not-a-launch")
	sweepStaleSocketDirs(tmp)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("a dead launch's directory is still there: %v", err)
	}
	for _, kept := range []string{live, foreign, odd} {
		if _, err := os.Stat(kept); err != nil {
			t.Fatalf("%s was removed: %v", kept, err)
		}
	}
}

// A launcher SIGKILLed with its Terraform is a zombie until an init reaps it, and a container's
// PID 1 may never reap: its PID still answers kill(0), but its directory goes.
func TestSweepRemovesAZombieLaunchsDirectory(t *testing.T) {
	tmp := t.TempDir()
	zombie := exec.Command("true")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	defer zombie.Wait()
	pid := zombie.Process.Pid
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if state, err := statField(stat, 3); err == nil && state == "Z" {
			break // exited, not yet waited for
		}
		if time.Now().After(deadline) {
			t.Fatal("the child did not exit")
		}
	}
	stale := filepath.Join(tmp, "tfprovider-"+strconv.FormatInt(int64(pid), 36)+"-zz")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "plugin.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the zombie does not answer kill(0) (%v): the test shows nothing", err)
	}
	sweepStaleSocketDirs(tmp)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("a zombie launch's directory is still there: %v", err)
	}
}

func TestMakePrivateChangesOnlyOurNewDirectory(t *testing.T) {
	tmp := t.TempDir()
	target := filepath.Join(tmp, "someones-file")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The race makeSocketDir loses in a TMPDIR others may write to: its new directory swapped
	// for a symlink between the mkdir and the chmod.
	link := filepath.Join(tmp, "tfprovider-1-aa")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := makePrivate(link); err == nil {
		t.Fatal("a symlink was taken for the socket directory")
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o644 {
		t.Fatalf("the symlink's target was changed to %o", st.Mode().Perm())
	}
	dir := filepath.Join(tmp, "tfprovider-1-bb")
	old := syscallUmask(0o277)
	err := os.Mkdir(dir, 0o700)
	syscallUmask(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := makePrivate(dir); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
}

func TestSweepFollowsNoSymlinkAndSparesOtherUsers(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	tag := "tfprovider-" + strconv.FormatInt(int64(dead.Process.Pid), 36)
	// A directory of ours elsewhere that looks like a dead launch's, behind a symlink that has
	// the sweep's naming: neither it nor what it holds may go.
	victim := filepath.Join(tmp, "victim")
	if err := os.Mkdir(victim, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(victim, "plugin.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(tmp, tag+"-ij")); err != nil {
		t.Fatal(err)
	}
	kept := []string{filepath.Join(victim, "plugin.sock"), filepath.Join(tmp, tag+"-ij")}
	if os.Getuid() == 0 { // another user's dead launch: theirs to sweep
		theirs := filepath.Join(tmp, tag+"-kl")
		if err := os.Mkdir(theirs, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(theirs, "plugin.sock"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, theirs)
	}
	sweepStaleSocketDirs(tmp)
	for _, p := range kept {
		if _, err := os.Lstat(p); err != nil {
			t.Fatalf("%s was removed: %v", p, err)
		}
	}
}
