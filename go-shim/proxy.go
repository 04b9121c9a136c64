package main

// The Python provider behind a launch served from the cache, started on the first RPC the
// cache cannot answer: a child of the zygote when one answers, else a cold child process. It
// gets a client certificate this launcher made (PLUGIN_CLIENT_CERT), and is dialed over its own
// TLS and HTTP/2 with the certificate of its handshake as the only root. Calls are relayed as
// unary exchanges: request body, response body, grpc-status and grpc-message.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

const upstreamHandshakeTimeout = 30 * time.Second

// upstream answers the calls this launch does not answer itself: a Python provider reached
// over TLS and HTTP/2 (a cold child, or a zygote's child serving gRPC), or a zygote's child
// over a relay socket (relay.go).
type upstream struct {
	call func(r *http.Request, body []byte) rpcResult
	stop func()
}

// rpcResult is one answer: framed body bytes, the gRPC status and its (percent-encoded)
// message, and the body's grpc-encoding if any.
type rpcResult struct {
	framed   []byte
	status   string
	msg      string
	encoding string
}

// upstream starts the Python provider once; later calls get the same one (or its error).
func (s *cachedServer) upstream() (*upstream, error) {
	s.upMu.Lock()
	defer s.upMu.Unlock()
	if s.up != nil || s.upErr != nil {
		return s.up, s.upErr
	}
	select {
	case <-s.stopping:
		return nil, errors.New("the launch is ending")
	default:
	}
	s.up, s.upErr = startUpstream(s.cold, s.zygote)
	if s.upErr != nil {
		debugf("cannot start the provider behind the schema cache: %v", s.upErr)
	}
	return s.up, s.upErr
}

func replaceEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

func startUpstream(cold launch, z zygoteAddr) (*upstream, error) {
	clientCert, err := newCertificate()
	if err != nil {
		return nil, err
	}
	env := replaceEnv(cold.env, "PLUGIN_CLIENT_CERT", clientCert.pem())
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	stop, err := startViaZygote(z, env, w)
	if err != nil {
		debugf("provider behind the schema cache: %v; starting it cold", err)
		stop, err = startCold(cold, env, w)
	}
	w.Close()
	if err != nil {
		return nil, err
	}
	line, err := readLine(r, upstreamHandshakeTimeout)
	if err != nil {
		stop()
		return nil, fmt.Errorf("no handshake from the provider: %v", err)
	}
	client, err := dialUpstream(line, clientCert)
	if err != nil {
		stop()
		return nil, err
	}
	return &upstream{call: func(r *http.Request, body []byte) rpcResult { return relayHTTP(client, r, body) }, stop: stop}, nil
}

// startViaZygote asks the zygote for a child whose stdout is the pipe (its handshake is ours to
// read) and whose stdin and stderr are ours. stop ends it and waits up to a second.
func startViaZygote(z zygoteAddr, env []string, stdout *os.File) (func(), error) {
	c, err := dialZygote(z.name)
	if err != nil {
		return nil, err
	}
	payload, err := newLaunchRequest(nil, env, false)
	if err != nil {
		c.Close()
		return nil, err
	}
	child, err := requestChild(c, []int{0, int(stdout.Fd()), 2}, payload)
	if err == nil {
		err = child.goAhead()
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	exited := make(chan struct{})
	go func() { child.wait(); close(exited) }()
	return func() {
		_ = syscall.Kill(child.pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Second):
		}
		c.Close() // the child's lifeline: it ends within a second of this
	}, nil
}

func startCold(cold launch, env []string, stdout *os.File) (func(), error) {
	cmd := exec.Command(cold.interp, cold.args[1:]...)
	cmd.Env = coldExecEnv(launch{env: env}) // the release's frozen provider: not its own warm client
	cmd.Stdout = stdout
	cmd.Stderr = os.Stderr
	// SIGTERM (the provider cleans up) if this launcher dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	return func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Second):
			_ = cmd.Process.Kill()
		}
	}, nil
}

func readLine(r *os.File, timeout time.Duration) (string, error) {
	_ = r.SetReadDeadline(time.Now().Add(timeout)) // pipes support deadlines (non-blocking)
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// dialUpstream makes the HTTP/2 client for a provider's handshake line 1|6|unix|PATH|grpc|CERT.
func dialUpstream(line string, clientCert *certificate) (*http.Client, error) {
	f := strings.Split(line, "|")
	if len(f) != 6 || f[0] != "1" || f[1] != "6" || f[2] != "unix" || f[4] != "grpc" {
		return nil, fmt.Errorf("unexpected handshake %q", line)
	}
	der, err := base64.RawStdEncoding.DecodeString(f[5])
	if err != nil {
		return nil, err
	}
	serverCert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(serverCert)
	path := f[3]
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		TLSClientConfig: &tls.Config{
			RootCAs:      roots,
			Certificates: []tls.Certificate{clientCert.tls},
			ServerName:   "localhost",
			MinVersion:   tls.VersionTLS12,
		},
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{Transport: tr}, nil
}

// proxy relays one call to the Python provider.
func (s *cachedServer) proxy(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if !s.relayed { // on a relayed launch every call is: that was said once
		debugf("%s: relayed to the provider", r.URL.Path)
	}
	up, err := s.upstream()
	if err != nil {
		writeStatus(w, nil, "14", "the provider could not be started: "+err.Error())
		return
	}
	res := up.call(r, body)
	if res.encoding != "" {
		w.Header().Set("Grpc-Encoding", res.encoding)
	}
	writeStatus(w, res.framed, res.status, res.msg)
}

// relayHTTP makes one call to a Python provider's own gRPC server.
func relayHTTP(client *http.Client, r *http.Request, body []byte) rpcResult {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "https://localhost"+r.URL.Path, bytes.NewReader(body))
	if err != nil {
		return rpcResult{status: "13", msg: err.Error()}
	}
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	req.Header.Set("Te", "trailers")
	for _, k := range []string{"Grpc-Timeout", "Grpc-Encoding", "Grpc-Accept-Encoding"} {
		if v := r.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return rpcResult{status: "14", msg: "the provider did not answer: " + err.Error()}
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return rpcResult{status: "14", msg: "the provider's answer broke off: " + err.Error()}
	}
	status, msg := resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	if status == "" { // a trailers-only answer (an error) carries them in the headers
		status, msg = resp.Header.Get("Grpc-Status"), resp.Header.Get("Grpc-Message")
	}
	if status == "" {
		status, msg = "13", fmt.Sprintf("the provider answered HTTP %d without a gRPC status", resp.StatusCode)
	}
	return rpcResult{framed: out, status: status, msg: msg, encoding: resp.Header.Get("Grpc-Encoding")}
}

// writeStatus answers with already-framed body bytes and the given status; msg is sent as
// received (grpc-message is percent-encoded on the wire already).
func writeStatus(w http.ResponseWriter, framed []byte, status, msg string) {
	grpcHeaders(w)
	if len(framed) > 0 {
		_, _ = w.Write(framed)
	}
	w.Header().Set("Grpc-Status", status)
	if msg != "" {
		w.Header().Set("Grpc-Message", msg)
	}
}
