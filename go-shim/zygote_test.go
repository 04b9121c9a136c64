package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStatFieldSurvivesParenthesesInTheName(t *testing.T) {
	stat := []byte("1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345 67 18446744073709551615\n")
	got, err := statField(stat, 22)
	if err != nil || got != "987654" {
		t.Fatalf("field 22 = %q, %v", got, err)
	}
	if got, _ := statField(stat, 3); got != "S" {
		t.Fatalf("field 3 = %q", got)
	}
	if _, err := statField([]byte("1 (x) S 1"), 22); err == nil {
		t.Fatal("a short line must be an error")
	}
	if _, err := statField([]byte("garbage"), 22); err == nil {
		t.Fatal("a line without ')' must be an error")
	}
}

func TestProcStartTimeOfThisProcess(t *testing.T) {
	a, err := procStartTime(os.Getpid())
	if err != nil || a == "" || strings.Trim(a, "0123456789") != "" {
		t.Fatalf("start time %q, %v", a, err)
	}
	if _, err := procStartTime(1 << 30); err == nil {
		t.Fatal("a PID that does not exist must be an error")
	}
}

func TestZygoteName(t *testing.T) {
	got := zygoteName(1000, 4242, "777", "/opt/x/terraform-provider-sparkpost_v1")
	// sha256("/opt/x/terraform-provider-sparkpost_v1")[:16], as Python's hashlib computes it
	want := "tfprovider-zygote.1000.4242.777." + sha16("/opt/x/terraform-provider-sparkpost_v1")
	if got != want || len(strings.Split(got, ".")[4]) != 16 {
		t.Fatalf("got %q want %q", got, want)
	}
	if zygoteName(1000, 4242, "777", "/other") == got {
		t.Fatal("two launchers must not share a zygote")
	}
}

func TestUmaskIsReadWithoutChange(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	m, err := umask()
	if err != nil || m != 0o027 {
		t.Fatalf("umask %o, %v", m, err)
	}
	if now := syscall.Umask(0o027); now != 0o027 {
		t.Fatalf("reading changed the umask to %o", now)
	}
}

func TestFastLaunchAllowed(t *testing.T) {
	env := map[string]string{cookieKey: cookieValue}
	get := func(k string) string { return env[k] }
	if !fastLaunchAllowed(get, nil) {
		t.Fatal("a plain launch by Terraform may go fast")
	}
	if fastLaunchAllowed(get, []string{"--debug"}) {
		t.Fatal("--debug must go cold")
	}
	for _, off := range []string{"0", "off", "OFF", "False", "no", " No "} {
		env[fastEnvName] = off
		if fastLaunchAllowed(get, nil) {
			t.Fatalf("%s=%q must turn it off", fastEnvName, off)
		}
	}
	for _, on := range []string{"1", "on", "yes", ""} {
		env[fastEnvName] = on
		if !fastLaunchAllowed(get, nil) {
			t.Fatalf("%s=%q must leave it on", fastEnvName, on)
		}
	}
	env[cookieKey] = "wrong"
	if fastLaunchAllowed(get, nil) {
		t.Fatal("without the cookie (run by hand) nothing may be started")
	}
}

func TestProviderEnvFiltersPythonVariables(t *testing.T) {
	old := pythonPath
	defer func() { pythonPath = old }()
	pythonPath = "/ours"
	got := providerEnv([]string{"A=1", "PYTHONPATH=/theirs", "PYTHONHOME=/x", "B=2"})
	if strings.Join(got, " ") != "A=1 B=2 PYTHONPATH=/ours" {
		t.Fatalf("env %v", got)
	}
}

// fakeZygote listens on a fresh abstract name and runs serve on its first connection.
func fakeZygote(t *testing.T, serve func(c *net.UnixConn)) (string, chan struct{}) {
	t.Helper()
	name := "tfprovider-test-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + sha16(time.Now().String())
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: "@" + name, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer l.Close()
		c, err := l.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	return name, done
}

// readRequest reads one request as the zygote does: fds with the first bytes, then the rest.
func readRequest(t *testing.T, c *net.UnixConn) ([]int, launchRequest) {
	buf := make([]byte, 1<<20)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Error(err)
		return nil, launchRequest{}
	}
	msgs, _ := syscall.ParseSocketControlMessage(oob[:oobn])
	var fds []int
	for _, m := range msgs {
		got, _ := syscall.ParseUnixRights(&m)
		fds = append(fds, got...)
	}
	data := buf[:n]
	for len(data) < 4 {
		t.Error("short request")
		return fds, launchRequest{}
	}
	want := int(binary.BigEndian.Uint32(data))
	rest := make([]byte, 4+want-len(data))
	if _, err := io.ReadFull(c, rest); err != nil {
		t.Error(err)
	}
	var req launchRequest
	if err := json.Unmarshal(append(data[4:], rest...), &req); err != nil {
		t.Error(err)
	}
	return fds, req
}

func TestRequestChildHandsOverFdsAndPayload(t *testing.T) {
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	big := strings.Repeat("x", 300000) // longer than one sendmsg carries
	var got launchRequest
	var nfds int
	name, done := fakeZygote(t, func(c *net.UnixConn) {
		fds, req := readRequest(t, c)
		got, nfds = req, len(fds)
		if len(fds) == 3 {
			f := os.NewFile(uintptr(fds[1]), "fd1")
			f.Write([]byte("through the handed fd\n"))
			f.Close()
			syscall.Close(fds[0])
			syscall.Close(fds[2])
		}
		c.Write([]byte("{\"pid\": 4321}\n"))
		g := make([]byte, 1)
		io.ReadFull(c, g)
		if g[0] != 'g' {
			t.Errorf("go byte %q", g)
		}
		c.Write([]byte("{\"exit\": 7}\n"))
	})
	c, err := dialZygote(name)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := newLaunchRequest(nil, []string{"A=1", "BIG=" + big}, false)
	child, err := requestChild(c, []int{0, int(w.Fd()), 2}, payload)
	if err != nil {
		t.Fatal(err)
	}
	if child.pid != 4321 {
		t.Fatalf("pid %d", child.pid)
	}
	if err := child.goAhead(); err != nil {
		t.Fatal(err)
	}
	if code := child.wait(); code != 7 {
		t.Fatalf("exit %d", code)
	}
	<-done
	line, _ := bufio.NewReader(r).ReadString('\n')
	if line != "through the handed fd\n" {
		t.Fatalf("fd 1 was not ours: %q", line)
	}
	wd, _ := os.Getwd()
	if nfds != 3 || got.V != 1 || got.Argv == nil || len(got.Argv) != 0 || got.Cwd != wd || len(got.Env) != 2 || got.Env[1] != "BIG="+big {
		t.Fatalf("request %d fds, v=%d argv=%v cwd=%q env=%d", nfds, got.V, got.Argv, got.Cwd, len(got.Env))
	}
}

func TestRequestChildGivesUp(t *testing.T) {
	old := replyTimeout
	replyTimeout = 300 * time.Millisecond
	defer func() { replyTimeout = old }()
	var gaveUp chan struct{}
	cases := map[string]func(c *net.UnixConn){
		"error":   func(c *net.UnixConn) { readRequest(t, c); c.Write([]byte("{\"error\": \"no\"}\n")) },
		"eof":     func(c *net.UnixConn) { readRequest(t, c) },
		"garbage": func(c *net.UnixConn) { readRequest(t, c); c.Write([]byte("pid 3\n")) },
		"no pid":  func(c *net.UnixConn) { readRequest(t, c); c.Write([]byte("{}\n")) },
		// silent until requestChild has given up: only its timeout can end the wait (a 1 s
		// silence ended in EOF, an error too, when a loaded machine woke the timeout late)
		"silence": func(c *net.UnixConn) { readRequest(t, c); <-gaveUp },
	}
	for what, serve := range cases {
		gaveUp = make(chan struct{})
		name, done := fakeZygote(t, serve)
		c, err := dialZygote(name)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := newLaunchRequest(nil, []string{"A=1"}, false)
		if child, err := requestChild(c, []int{0, 1, 2}, payload); err == nil {
			t.Fatalf("%s: got child %d", what, child.pid)
		}
		close(gaveUp)
		c.Close()
		<-done
	}
}

func TestWaitWithoutExitIsOne(t *testing.T) {
	name, done := fakeZygote(t, func(c *net.UnixConn) {
		readRequest(t, c)
		c.Write([]byte("{\"pid\": 5}\n"))
		io.ReadFull(c, make([]byte, 1))
		c.Write([]byte("{\"something\": 1}\n"))
	})
	c, _ := dialZygote(name)
	payload, _ := newLaunchRequest(nil, nil, false)
	child, err := requestChild(c, []int{0, 1, 2}, payload)
	if err != nil {
		t.Fatal(err)
	}
	child.goAhead()
	if code := child.wait(); code != 1 {
		t.Fatalf("exit %d", code)
	}
	<-done
}

func TestAbsentZygoteIsRecognised(t *testing.T) {
	_, err := dialZygote("tfprovider-test-nobody-" + sha16(time.Now().String()))
	if err == nil || !zygoteAbsent(err) {
		t.Fatalf("err %v", err)
	}
}

func TestTheFirstExitReportWins(t *testing.T) {
	// The child reports its own exit code on its way out; the zygote's report follows (or is
	// the only one, for a child killed by a signal).
	name, done := fakeZygote(t, func(c *net.UnixConn) {
		readRequest(t, c)
		c.Write([]byte("{\"pid\": 5}\n"))
		io.ReadFull(c, make([]byte, 1))
		c.Write([]byte("{\"exit\": 3}\n{\"exit\": 1}\n"))
	})
	c, _ := dialZygote(name)
	payload, _ := newLaunchRequest(nil, nil, false)
	child, err := requestChild(c, []int{0, 1, 2}, payload)
	if err != nil {
		t.Fatal(err)
	}
	child.goAhead()
	if code := child.wait(); code != 3 {
		t.Fatalf("exit %d", code)
	}
	<-done
}

func TestALaunchWithAutoMTLSCarriesItsOwnCertificate(t *testing.T) {
	decode := func(env []string) launchRequest {
		payload, err := newLaunchRequest(nil, env, false)
		if err != nil {
			t.Fatal(err)
		}
		var r launchRequest
		if err := json.Unmarshal(payload, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, env := range [][]string{nil, {"A=1"}, {"PLUGIN_CLIENT_CERT=", "A=1"}, {"PLUGIN_CLIENT_CERT=  \n"}} {
		if r := decode(env); r.TLS != nil {
			t.Fatalf("env %q: a certificate nobody asked for", env)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		r := decode([]string{"A=1", "PLUGIN_CLIENT_CERT=-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"})
		if r.TLS == nil {
			t.Fatal("no certificate for an AutoMTLS launch")
		}
		pair, err := tls.X509KeyPair([]byte(r.TLS.Cert), []byte(r.TLS.Key))
		if err != nil {
			t.Fatalf("the key is not the certificate's: %v", err)
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(cert)
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Fatalf("go-plugin's check fails: %v", err)
		}
		if !strings.HasPrefix(r.TLS.Key, "-----BEGIN PRIVATE KEY-----\n") || strings.Contains(r.TLS.Key, "ENCRYPTED") {
			t.Fatalf("key is not unencrypted PKCS#8 PEM: %.40q", r.TLS.Key)
		}
		if seen[r.TLS.Key] || seen[r.TLS.Cert] {
			t.Fatal("a certificate or key was used twice: each launch gets its own")
		}
		seen[r.TLS.Key], seen[r.TLS.Cert] = true, true
	}
}

func TestReaderGoneOnlyForAPipeNobodyReads(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if readerGone(int(w.Fd())) {
		t.Fatal("a pipe with its reader is not gone")
	}
	r.Close()
	if !readerGone(int(w.Fd())) {
		t.Fatal("a pipe whose reader closed it is gone (Terraform died)")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if readerGone(int(null.Fd())) {
		t.Fatal("a file is not a pipe")
	}
}
