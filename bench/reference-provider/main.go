// Command reference-provider is a yardstick for scripts/bench-scale, never a product: a
// do-nothing Terraform provider in Go (grpc-go) that serves our provider's schema and echoes
// states, so that the bench can show how fast ANY external provider makes Terraform run the
// same plan on this machine. Its ReadResource costs no CPU: it sleeps REFERENCE_LATENCY_MS
// (the emulator's latency), or, with REFERENCE_HTTP_URL, makes one GET to that URL (the
// emulator) with Go's HTTP client.
//
// No generated stubs: messages stay raw protobuf bytes (a raw codec registered as "proto")
// and the few fields it needs are read and written with protowire. The GetProviderSchema and
// GetMetadata answers are our provider's own, serialized by the bench into the files named by
// REFERENCE_SCHEMA and REFERENCE_METADATA.
//
// Built in GOPATH mode against Debian's golang-google-grpc-dev and golang-google-protobuf-dev.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"io/ioutil"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protowire"
)

var (
	schemaResp   []byte
	metadataResp []byte
	readLatency  time.Duration
)

var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 10}}

const magicCookie = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"

// ---------- raw codec ----------

type raw struct{ b []byte }

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) {
	if r, ok := v.(*raw); ok {
		return r.b, nil
	}
	return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
}

func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	if r, ok := v.(*raw); ok {
		r.b = append([]byte(nil), data...)
		return nil
	}
	return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
}

func (rawCodec) Name() string { return "proto" }

// ---------- protowire helpers ----------

// field returns the raw bytes of the last occurrence of length-delimited
// field num in msg (nil if absent).
func field(msg []byte, num protowire.Number) []byte {
	var out []byte
	for len(msg) > 0 {
		n, t, l := protowire.ConsumeTag(msg)
		if l < 0 {
			return out
		}
		msg = msg[l:]
		if n == num && t == protowire.BytesType {
			v, m := protowire.ConsumeBytes(msg)
			if m < 0 {
				return out
			}
			out = v
			msg = msg[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(n, t, msg)
		if m < 0 {
			return out
		}
		msg = msg[m:]
	}
	return out
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	if v == nil {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// dynNull: DynamicValue absent, empty, or a null value (msgpack nil / json null).
func dynNull(dv []byte) bool {
	if len(dv) == 0 {
		return true
	}
	mp := field(dv, 1)
	js := field(dv, 2)
	if len(mp) > 0 {
		return len(mp) == 1 && mp[0] == 0xc0
	}
	if len(js) > 0 {
		return string(js) == "null"
	}
	return true
}

// ---------- logging (only when REFERENCE_LOG is set) ----------

var (
	logMu sync.Mutex
	logF  *os.File
)

func logCall(method string) {
	if logF == nil {
		return
	}
	logMu.Lock()
	fmt.Fprintf(logF, "%d %s\n", os.Getpid(), method)
	logMu.Unlock()
}

// ---------- tfplugin6.Provider ----------

func providerCall(ctx context.Context, method string, req []byte) []byte {
	logCall(method)
	switch method {
	case "GetMetadata":
		return metadataResp
	case "GetProviderSchema":
		return schemaResp
	case "UpgradeResourceState":
		// Request.raw_state(3) -> RawState.json(1); Response.upgraded_state(1) = DynamicValue{json(2)}.
		js := field(field(req, 3), 1)
		if js == nil {
			js = []byte{}
		}
		dv := appendBytesField(nil, 2, js)
		return appendBytesField(nil, 1, dv)
	case "ReadResource":
		if u := os.Getenv("REFERENCE_HTTP_URL"); u != "" {
			req2, _ := http.NewRequest("GET", u, nil)
			req2.Header.Set("Authorization", os.Getenv("REFERENCE_HTTP_KEY"))
			if resp, err := httpClient.Do(req2); err == nil {
				io.Copy(ioutil.Discard, resp.Body)
				resp.Body.Close()
			}
		} else {
			time.Sleep(readLatency)
		}
		// Request current_state(2), private(3) -> Response new_state(1), private(3).
		var out []byte
		out = appendBytesField(out, 1, field(req, 2))
		out = appendBytesField(out, 3, field(req, 3))
		return out
	case "PlanResourceChange":
		// Request prior_state(2), proposed_new_state(3), prior_private(5)
		// -> Response planned_state(1), planned_private(3).
		planned := field(req, 2)
		if dynNull(planned) {
			planned = field(req, 3)
		}
		var out []byte
		out = appendBytesField(out, 1, planned)
		out = appendBytesField(out, 3, field(req, 5))
		return out
	case "ApplyResourceChange":
		// Request planned_state(3), planned_private(5) -> Response new_state(1), private(2).
		var out []byte
		out = appendBytesField(out, 1, field(req, 3))
		out = appendBytesField(out, 2, field(req, 5))
		return out
	}
	return nil // ValidateX, ConfigureProvider, StopProvider, everything else: empty
}

var providerUnary = []string{
	"GetMetadata", "GetProviderSchema", "ValidateProviderConfig", "ValidateResourceConfig",
	"ValidateDataResourceConfig", "UpgradeResourceState", "GetResourceIdentitySchemas",
	"UpgradeResourceIdentity", "ConfigureProvider", "ReadResource", "PlanResourceChange",
	"ApplyResourceChange", "ImportResourceState", "MoveResourceState", "ReadDataSource",
	"GenerateResourceConfig", "ValidateEphemeralResourceConfig", "OpenEphemeralResource",
	"RenewEphemeralResource", "CloseEphemeralResource", "ValidateListResourceConfig",
	"GetFunctions", "CallFunction", "ValidateStateStoreConfig", "ConfigureStateStore",
	"LockState", "UnlockState", "GetStates", "DeleteState", "PlanAction",
	"ValidateActionConfig", "StopProvider",
}

type unaryFn func(ctx context.Context, method string, req []byte) []byte

func unaryDesc(name string, fn unaryFn) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
			in := &raw{}
			if err := dec(in); err != nil {
				return nil, err
			}
			return &raw{b: fn(ctx, name, in.b)}, nil
		},
	}
}

// blockStream: a streaming method that just waits until the client goes away.
func blockStream(name string, client, server bool) grpc.StreamDesc {
	return grpc.StreamDesc{
		StreamName:    name,
		ClientStreams: client,
		ServerStreams: server,
		Handler: func(srv interface{}, stream grpc.ServerStream) error {
			logCall(name)
			<-stream.Context().Done()
			return nil
		},
	}
}

// ---------- TLS ----------

func serverTLS() (*tls.Config, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	sn, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"HashiCorp"}},
		DNSNames:              []string{"localhost"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		NotBefore:             now.Add(-30 * time.Second),
		NotAfter:              now.Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
		ClientAuth:   tls.NoClientCert,
	}
	if pemCert := os.Getenv("PLUGIN_CLIENT_CERT"); pemCert != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(pemCert)) {
			return nil, nil, fmt.Errorf("bad PLUGIN_CLIENT_CERT")
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, der, nil
}

// ---------- main ----------

func main() {
	if os.Getenv("TF_PLUGIN_MAGIC_COOKIE") != magicCookie {
		fmt.Fprintln(os.Stderr, "This binary is a plugin. It is not meant to be executed directly.")
		os.Exit(1)
	}
	var err error
	if schemaResp, err = ioutil.ReadFile(os.Getenv("REFERENCE_SCHEMA")); err != nil {
		fmt.Fprintln(os.Stderr, "REFERENCE_SCHEMA:", err)
		os.Exit(1)
	}
	if metadataResp, err = ioutil.ReadFile(os.Getenv("REFERENCE_METADATA")); err != nil {
		fmt.Fprintln(os.Stderr, "REFERENCE_METADATA:", err)
		os.Exit(1)
	}
	ms, _ := strconv.Atoi(os.Getenv("REFERENCE_LATENCY_MS"))
	readLatency = time.Duration(ms) * time.Millisecond
	if p := os.Getenv("REFERENCE_LOG"); p != "" {
		if f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			logF = f
		}
	}
	encoding.RegisterCodec(rawCodec{})

	tlsCfg, der, err := serverTLS()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tls:", err)
		os.Exit(1)
	}
	dir, err := ioutil.TempDir("", "plugin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tempdir:", err)
		os.Exit(1)
	}
	var once sync.Once
	exit := func(code int) {
		once.Do(func() { os.RemoveAll(dir) })
		os.Exit(code)
	}
	sock := filepath.Join(dir, "plugin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		exit(1)
	}

	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(tlsCfg)),
		grpc.MaxRecvMsgSize(256<<20), grpc.MaxSendMsgSize(256<<20))

	var anyImpl interface{} = struct{}{}
	handlerType := (*interface{})(nil)

	// tfplugin6.Provider
	pd := &grpc.ServiceDesc{ServiceName: "tfplugin6.Provider", HandlerType: handlerType}
	for _, m := range providerUnary {
		pd.Methods = append(pd.Methods, unaryDesc(m, providerCall))
	}
	pd.Streams = []grpc.StreamDesc{
		blockStream("ListResource", false, true),
		blockStream("ReadStateBytes", false, true),
		blockStream("WriteStateBytes", true, false),
		blockStream("InvokeAction", false, true),
	}
	srv.RegisterService(pd, anyImpl)

	// grpc.health.v1.Health: Check -> status SERVING (field 1 = 1)
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "grpc.health.v1.Health", HandlerType: handlerType,
		Methods: []grpc.MethodDesc{unaryDesc("Check", func(context.Context, string, []byte) []byte {
			return protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1)
		})},
		Streams: []grpc.StreamDesc{blockStream("Watch", false, true)},
	}, anyImpl)

	// plugin.GRPCController: Shutdown -> empty, then exit shortly after.
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "plugin.GRPCController", HandlerType: handlerType,
		Methods: []grpc.MethodDesc{unaryDesc("Shutdown", func(context.Context, string, []byte) []byte {
			logCall("Shutdown")
			go func() {
				time.Sleep(20 * time.Millisecond)
				exit(0)
			}()
			return nil
		})},
	}, anyImpl)

	// plugin.GRPCStdio / plugin.GRPCBroker: block until the stream ends.
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "plugin.GRPCStdio", HandlerType: handlerType,
		Streams: []grpc.StreamDesc{blockStream("StreamStdio", false, true)},
	}, anyImpl)
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "plugin.GRPCBroker", HandlerType: handlerType,
		Streams: []grpc.StreamDesc{blockStream("StartStream", true, true)},
	}, anyImpl)

	// Exit on signals (go-plugin clients ignore SIGINT in plugins; honour TERM).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	signal.Ignore(syscall.SIGINT)
	go func() { <-sigs; exit(0) }()

	// Exit when the parent dies.
	ppid := os.Getppid()
	go func() {
		for {
			time.Sleep(250 * time.Millisecond)
			if os.Getppid() != ppid {
				exit(0)
			}
		}
	}()

	fmt.Printf("1|6|unix|%s|grpc|%s\n", sock, base64.RawStdEncoding.EncodeToString(der))
	os.Stdout.Sync()

	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
	}
	exit(0)
}
