package main

// Launch 1 of a Terraform process, served in Go: Terraform's first launch of a command only
// asks for the schema, so it is answered from the install-time cache without starting Python.
// The launch looks to Terraform exactly like the provider's own (handshake.py, mtls.py): the
// handshake line, a fresh AutoMTLS certificate, Terraform's client certificate required, a
// unix socket in a fresh 0700 directory removed on every way out. Any RPC other than those
// below goes to a Python provider started on demand (proxy.go): a wrong guess is slower,
// never wrong.

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	methodSchema   = "/tfplugin6.Provider/GetProviderSchema"
	methodShutdown = "/plugin.GRPCController/Shutdown"
	methodBroker   = "/plugin.GRPCBroker/StartStream"
	methodStdio    = "/plugin.GRPCStdio/StreamStdio"
	methodHealth   = "/grpc.health.v1.Health/Check"

	socketDirPrefix = "tfprovider-" // provider/tfplugin/handshake.py sweeps these when left behind
	b36             = "0123456789abcdefghijklmnopqrstuvwxyz"
)

// offersProtocol6 is handshake.check_launch's test: no PLUGIN_PROTOCOL_VERSIONS means 6.
func offersProtocol6(versions string) bool {
	if versions == "" {
		return true
	}
	for _, v := range strings.Split(versions, ",") {
		if strings.TrimSpace(v) == "6" {
			return true
		}
	}
	return false
}

// makeSocketDir makes tfprovider-PID-XY (PID in base 36, XY random) with mode 0700, named as
// handshake.py names its own so that its sweep of dead providers' directories covers ours.
func makeSocketDir(tmp string) (string, error) {
	tag := strconv.FormatInt(int64(os.Getpid()), 36)
	for i := 0; i < 100; i++ {
		var r [2]byte
		if _, err := rand.Read(r[:]); err != nil {
			return "", err
		}
		path := filepath.Join(tmp, fmt.Sprintf("%s%s-%c%c", socketDirPrefix, tag, b36[int(r[0])%36], b36[int(r[1])%36]))
		err := os.Mkdir(path, 0o700) // fails on anything already there, symlinks included
		if err == nil {
			return path, makePrivate(path) // the umask must not widen or narrow it
		}
		if !errors.Is(err, os.ErrExist) {
			return "", err
		}
	}
	return "", errors.New("no free socket directory name")
}

// makePrivate sets the mode of the directory just made at path to 0700, through a descriptor:
// chmod(2) follows symlinks, and in a TMPDIR others may write to without the sticky bit, one
// could swap the new directory for a symlink to any file of ours (of anyone's, when Terraform
// runs as root) and have that file's mode changed. Anything but our own directory is an error.
func makePrivate(path string) error {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("the socket directory %s: %v", path, err)
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return err
	}
	if int(st.Uid) != os.Getuid() {
		return fmt.Errorf("the socket directory %s is not ours", path)
	}
	return syscall.Fchmod(fd, 0o700)
}

// alive says whether pid runs (or is another user's). A zombie does not: a SIGKILLed launcher
// whose parent died with it waits for an init to reap it, and an init that never reaps (a
// container's PID 1 that is an ordinary program) would keep its directory from being swept.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc (or it went meanwhile): kill said it was there
	}
	state, err := statField(stat, 3)
	return err != nil || state != "Z"
}

// sweepStaleSocketDirs removes the socket directories of launches that were SIGKILLed (no way
// out runs then, and Terraform cleans up after no plugin), as handshake.py's
// _remove_stale_socket_dirs does: only a directory with our naming (tfprovider-PID-XY) and
// owner, holding nothing but the socket, whose PID is gone and whose socket nobody answers on
// (a live provider in another PID namespace sharing this TMPDIR still answers).
func sweepStaleSocketDirs(tmp string) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	uid := os.Getuid()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, socketDirPrefix) {
			continue
		}
		tag, suffix, ok := strings.Cut(name[len(socketDirPrefix):], "-")
		if !ok || len(suffix) != 2 || len(tag) == 0 || len(tag) > 6 || strings.Trim(tag+suffix, b36) != "" {
			continue
		}
		path := filepath.Join(tmp, name)
		var st syscall.Stat_t
		if syscall.Lstat(path, &st) != nil || int(st.Uid) != uid || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
			continue
		}
		inside, err := os.ReadDir(path)
		if err != nil {
			continue
		}
		onlySockets := true
		for _, f := range inside {
			n := f.Name()
			if n != "plugin.sock" && n != "grpc.sock" && n != "server.pem" && !strings.HasPrefix(n, "tfprovider-c-") {
				onlySockets = false
			}
		}
		pid, err := strconv.ParseInt(tag, 36, 64)
		if !onlySockets || err != nil {
			continue
		}
		// Ours would be a dead namesake's: this launch has made none yet.
		if int(pid) != os.Getpid() && alive(int(pid)) {
			continue // the owner lives (or its PID was reused, or is another user's): leave it be
		}
		if c, err := net.DialTimeout("unix", filepath.Join(path, "plugin.sock"), 200*time.Millisecond); err == nil {
			c.Close()
			continue // someone still serves there
		}
		_ = os.RemoveAll(path)
	}
}

// cachedServer is the gRPC-over-HTTP/2 server of a launch answered from the cache.
type cachedServer struct {
	cache     *schemaCacheFile
	cold      launch
	zygote    zygoteAddr
	dir       string
	http      *http.Server
	shutdown  chan struct{} // closed by GRPCController.Shutdown
	stopping  chan struct{} // closed when we stop: releases the held streams
	once      sync.Once
	upMu      sync.Mutex
	up        *upstream
	upErr     error
	cleanOnce sync.Once
	relayed   bool     // a warm launch: every call goes to a zygote child over a relay socket
	lost      chan int // a relayed launch's child died: its exit code (nil otherwise: never ready)
}

// serveFromCache serves this launch from the schema cache when it can. It returns (the launch
// goes cold) only before the handshake line is printed; after that it exits the process.
func serveFromCache(cold launch, z zygoteAddr) {
	clientPEM := strings.TrimSpace(os.Getenv("PLUGIN_CLIENT_CERT"))
	if clientPEM == "" || !offersProtocol6(os.Getenv("PLUGIN_PROTOCOL_VERSIONS")) {
		return // TLS disabled, or a protocol we do not speak: the provider says so itself
	}
	cache, err := loadSchemaCache(schemaCache, cold.interp)
	if err != nil {
		debugf("schema cache not used: %v", err)
		return
	}
	s := &cachedServer{cache: cache, cold: cold, zygote: z, shutdown: make(chan struct{}), stopping: make(chan struct{})}
	line, err := s.listen(clientPEM)
	if err != nil {
		s.cleanup()
		debugf("schema cache not used: %v", err)
		return
	}
	s.run(line)
}

// listen makes the certificate, the socket directory and the TLS listener; it returns the
// handshake line.
func (s *cachedServer) listen(clientPEM string) (string, error) {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(clientPEM)) {
		return "", errors.New("PLUGIN_CLIENT_CERT holds no certificate")
	}
	cert, err := newCertificate()
	if err != nil {
		return "", err
	}
	sweepStaleSocketDirs(os.TempDir())
	s.dir, err = makeSocketDir(os.TempDir())
	if err != nil {
		return "", err
	}
	path := filepath.Join(s.dir, "plugin.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		return "", err
	}
	s.http = &http.Server{
		Handler: s,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert.tls},
			ClientAuth:   tls.RequireAndVerifyClientCert, // exactly Terraform's certificate
			ClientCAs:    roots,
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"h2"}, // grpc-go refuses a server that does not choose h2
		},
		ReadHeaderTimeout: 10 * time.Second, // a connector that never finishes is dropped
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = s.http.ServeTLS(ln, "", "") }()
	return fmt.Sprintf("1|6|unix|%s|grpc|%s", path, cert.handshakeText()), nil
}

func (s *cachedServer) run(line string) {
	signal.Ignore(syscall.SIGINT) // as go-plugin servers: Terraform stops providers by RPC
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	go watchParent(s.zygote.tfpid, func() { s.abandon(); os.Exit(1) })
	if !s.relayed {
		debugf("first launch: GetProviderSchema is answered from the schema cache %s", schemaCache)
	}
	if _, err := os.Stdout.WriteString(line + "\n"); err != nil {
		s.cleanup()
		os.Exit(1)
	}
	select {
	case <-s.shutdown:
	case <-sigs:
	case code := <-s.lost:
		s.stop()
		os.Exit(code)
	}
	s.stop()
	os.Exit(0)
}

// stop ends the launch: the held streams, the HTTP/2 connection (GOAWAY), the upstream.
func (s *cachedServer) stop() {
	s.once.Do(func() { close(s.stopping) })
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_ = s.http.Shutdown(ctx)
	s.cleanup()
}

func (s *cachedServer) cleanup() {
	s.cleanOnce.Do(func() {
		s.upMu.Lock()
		up := s.up
		s.upMu.Unlock()
		if up != nil {
			up.stop()
		}
		if s.dir != "" {
			_ = os.RemoveAll(s.dir)
		}
	})
}

// abandon is the way out once Terraform is gone: nobody is left to answer, so the upstream is
// not waited for (stopping it waits up to a second). It sees this process end, by its
// parent-death signal or its lifeline closing, and ends at once by itself.
func (s *cachedServer) abandon() {
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

func (s *cachedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 2 || r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
		http.Error(w, "gRPC only", http.StatusUnsupportedMediaType)
		return
	}
	switch r.URL.Path {
	case methodSchema:
		if s.cache == nil { // a relayed launch: the provider answers
			s.proxy(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		debugf("GetProviderSchema served from the schema cache")
		writeUnary(w, s.cache.Methods[methodSchema])
	case methodHealth:
		_, _ = io.Copy(io.Discard, r.Body)
		writeUnary(w, []byte{0x08, 0x01}) // HealthCheckResponse{status: SERVING}
	case methodShutdown:
		_, _ = io.Copy(io.Discard, r.Body)
		writeUnary(w, nil)
		select {
		case <-s.shutdown:
		default:
			close(s.shutdown)
		}
	case methodBroker, methodStdio:
		s.hold(w, r)
	default:
		s.proxy(w, r)
	}
}

// grpcHeaders starts a gRPC response: the status travels in trailers, declared here.
func grpcHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/grpc")
	h.Add("Trailer", "Grpc-Status")
	h.Add("Trailer", "Grpc-Message")
	w.WriteHeader(http.StatusOK)
}

// writeFramed writes already-framed gRPC messages (the bytes of a response body).
func writeUnary(w http.ResponseWriter, msg []byte) {
	grpcHeaders(w)
	_, _ = w.Write(frame(msg))
	w.Header().Set("Grpc-Status", "0")
}

// frame prefixes a message as gRPC does: no compression, 4-byte big-endian length.
func frame(msg []byte) []byte {
	out := make([]byte, 5+len(msg))
	binary.BigEndian.PutUint32(out[1:5], uint32(len(msg)))
	copy(out[5:], msg)
	return out
}

// hold keeps go-plugin's broker and stdio streams open, empty, until the launch ends.
func (s *cachedServer) hold(w http.ResponseWriter, r *http.Request) {
	grpcHeaders(w)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	select {
	case <-s.stopping:
	case <-s.shutdown:
	case <-r.Context().Done():
	}
	w.Header().Set("Grpc-Status", "0")
}
