package main

// The launcher's side of the zygote protocol (v1): names, starting the zygote, one warm launch.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

const (
	parentPoll    = 100 * time.Millisecond // how often a launch checks that Terraform still lives
	zygotePayload = 1                      // the protocol version ("v")
)

// zygoteBindWait bounds the wait for a zygote that is starting to bind its name. Generous: on
// a loaded machine an interpreter can take seconds to get there, and a launch that stops
// waiting gains nothing (it serves from the schema cache and then waits for that same zygote).
// A zygote that dies frees its marker, which ends the wait at once.
const zygoteBindWait = 5 * time.Second

var replyTimeout = 3 * time.Second // the zygote answers {"pid": N} within this, or we go cold (a var for tests)

// zygoteAddr names the zygote of this launch's Terraform process.
type zygoteAddr struct {
	name         string // abstract socket name, without the leading NUL
	tfpid        int
	launcherPath string // the launcher executable's real path
}

func newZygoteAddr() (zygoteAddr, error) {
	tfpid := os.Getppid()
	start, err := procStartTime(tfpid)
	if err != nil {
		return zygoteAddr{}, err
	}
	exe, err := os.Executable()
	if err != nil {
		return zygoteAddr{}, err
	}
	real, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return zygoteAddr{}, err
	}
	return zygoteAddr{name: zygoteName(os.Getuid(), tfpid, start, real), tfpid: tfpid, launcherPath: real}, nil
}

// zygoteName is tfprovider-zygote.UID.TFPID.TFSTART.LID; LID is the first 16 hex digits of the
// SHA-256 of the launcher's real path, so two installed providers never share a zygote.
func zygoteName(uid, tfpid int, tfstart, launcherPath string) string {
	sum := sha256.Sum256([]byte(launcherPath))
	return fmt.Sprintf("tfprovider-zygote.%d.%d.%s.%s", uid, tfpid, tfstart, hex.EncodeToString(sum[:])[:16])
}

// procStartTime is field 22 (starttime) of /proc/PID/stat: with the PID, it names one process
// even when PIDs are reused.
func procStartTime(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	return statField(b, 22)
}

// statField returns field n (1-based, as proc(5) numbers them) of a /proc/PID/stat line. The
// command name (field 2) is in parentheses and may itself hold spaces and parentheses.
func statField(stat []byte, n int) (string, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || n < 3 {
		return "", errors.New("malformed /proc stat")
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < n-2 {
		return "", errors.New("short /proc stat")
	}
	return fields[n-3], nil
}

// umask reads this process's umask without changing it (umask(2) can only set).
func umask() (int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Umask:") {
			v, err := strconv.ParseInt(strings.TrimSpace(line[len("Umask:"):]), 8, 32)
			return int(v), err
		}
	}
	return 0, errors.New("no Umask in /proc/self/status")
}

// zygoteAbsent: connect said nobody is bound to the name (start one).
func zygoteAbsent(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}

func dialZygote(name string) (*net.UnixConn, error) {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.Dial("unix", "@"+name)
	if err != nil {
		return nil, err
	}
	return c.(*net.UnixConn), nil
}

// startingName marks a zygote that was started and has not bound its name yet: the launcher
// that starts it binds this name and hands the socket to the zygote (fd 3), which holds it,
// unknowingly, for its life. Terraform's next launch often comes sooner than the interpreter
// binds: it then waits for the zygote instead of taking itself for the first launch.
func startingName(name string) string {
	return strings.Replace(name, "tfprovider-zygote.", "tfprovider-zygote-starting.", 1)
}

// spawnZygote starts the zygote detached (own session, /dev/null stdio) and does not wait for
// it. Its errors do not matter: the launch goes on and the next one tries again. A provider
// that does not know --zygote rejects it and exits at once (and so frees the marker).
func spawnZygote(cold launch, z zygoteAddr) {
	marker, err := net.ListenUnix("unix", &net.UnixAddr{Name: "@" + startingName(z.name), Net: "unix"})
	if err != nil {
		debugf("a zygote is being started already: %v", err)
		return
	}
	defer marker.Close()
	markerFile, err := marker.File()
	if err != nil {
		return
	}
	defer markerFile.Close()
	cmd := exec.Command(cold.interp, append(zygoteArgs(), "--zygote", z.name, strconv.Itoa(z.tfpid), z.launcherPath)...)
	cmd.Env = cold.env
	cmd.ExtraFiles = []*os.File{markerFile}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		debugf("cannot start the zygote: %v", err)
		return
	}
	_ = cmd.Process.Release()
}

// zygoteStarting: a launcher started the zygote, which has not bound its name yet. The name is
// predictable: a marker bound by another user is none of ours, and waiting for it would only
// delay every launch of this Terraform process (by zygoteBindWait each).
func zygoteStarting(name string) bool {
	c, err := net.DialTimeout("unix", "@"+startingName(name), 100*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return false
	}
	uid, err := peerUID(uc)
	return err == nil && int(uid) == os.Getuid()
}

// awaitZygote connects to a zygote that is starting, within the time it takes an interpreter
// to start; it gives up as soon as the zygote is gone (its marker freed).
func awaitZygote(name string, within time.Duration) (*net.UnixConn, error) {
	deadline := time.Now().Add(within)
	for i := 1; ; i++ {
		time.Sleep(5 * time.Millisecond)
		c, err := dialZygote(name)
		if err == nil || !zygoteAbsent(err) || time.Now().After(deadline) || (i%10 == 0 && !zygoteStarting(name)) {
			return c, err
		}
	}
}

type launchRequest struct {
	V     int         `json:"v"`
	Argv  []string    `json:"argv"`
	Env   []string    `json:"env"`
	Cwd   string      `json:"cwd"`
	Umask int         `json:"umask"`
	TLS   *launchCert `json:"tls,omitempty"`
	Relay bool        `json:"relay,omitempty"` // this launcher serves gRPC; calls come over a 4th fd (relay.go)
}

// launchCert is the child's AutoMTLS server certificate and its key (PEM), made here for each
// launch: Go makes one in about a millisecond, where the child would import Python's
// cryptography (~40 ms) to make it. It travels only on this private socket.
type launchCert struct {
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// certificateFor makes the launch's certificate when Terraform asked for AutoMTLS (it passes
// its own certificate in PLUGIN_CLIENT_CERT); nil otherwise, or when making one failed (the
// child then makes its own).
func certificateFor(env []string) *launchCert {
	asked := false
	for _, kv := range env {
		if strings.HasPrefix(kv, "PLUGIN_CLIENT_CERT=") && strings.TrimSpace(kv[len("PLUGIN_CLIENT_CERT="):]) != "" {
			asked = true
		}
	}
	if !asked {
		return nil
	}
	cert, err := newCertificate()
	if err != nil {
		debugf("no certificate for the zygote's child: %v", err)
		return nil
	}
	key, err := cert.keyPEM()
	if err != nil {
		debugf("no certificate for the zygote's child: %v", err)
		return nil
	}
	return &launchCert{Cert: cert.pem(), Key: key}
}

// newLaunchRequest is the JSON request for one launch; a relayed one (relay.go) needs no
// certificate: its launcher holds the TLS.
func newLaunchRequest(args, env []string, relay bool) ([]byte, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	mask, err := umask()
	if err != nil {
		return nil, err
	}
	if args == nil {
		args = []string{}
	}
	if relay {
		return json.Marshal(launchRequest{V: zygotePayload, Argv: args, Env: env, Cwd: cwd, Umask: mask, Relay: true})
	}
	return json.Marshal(launchRequest{V: zygotePayload, Argv: args, Env: env, Cwd: cwd, Umask: mask, TLS: certificateFor(env)})
}

type zygoteReply struct {
	Pid   *int    `json:"pid"`
	Error *string `json:"error"`
	Exit  *int    `json:"exit"`
}

// zygoteChild is a child the zygote forked for one launch; it waits for the go byte.
type zygoteChild struct {
	conn     *net.UnixConn
	r        *bufio.Reader
	pid      int
	exitOnce sync.Once
	exitCh   chan struct{}
	exitCode int
}

// peerUID is the uid of the process at the other end (SO_PEERCRED, set by the kernel at connect).
func peerUID(c *net.UnixConn) (uint32, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if credErr != nil {
		return 0, credErr
	}
	return cred.Uid, nil
}

// requestChild checks the zygote's uid (before anything is sent: the environment holds
// credentials), hands over the three fds and the payload, and waits for the child's pid.
func requestChild(c *net.UnixConn, fds []int, payload []byte) (*zygoteChild, error) {
	uid, err := peerUID(c)
	if err != nil {
		return nil, err
	}
	if int(uid) != os.Getuid() {
		return nil, fmt.Errorf("the zygote socket belongs to uid %d, not ours", uid)
	}
	_ = c.SetDeadline(time.Now().Add(replyTimeout))
	msg := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(msg, uint32(len(payload)))
	copy(msg[4:], payload)
	n, _, err := c.WriteMsgUnix(msg, syscall.UnixRights(fds...), nil)
	if err != nil {
		return nil, err
	}
	if n < len(msg) { // the rest of a long environment follows without fds
		if _, err := c.Write(msg[n:]); err != nil {
			return nil, err
		}
	}
	r := bufio.NewReader(c)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("no answer from the zygote: %v", err)
	}
	var reply zygoteReply
	if err := json.Unmarshal(line, &reply); err != nil {
		return nil, fmt.Errorf("unreadable answer from the zygote: %v", err)
	}
	if reply.Error != nil {
		return nil, fmt.Errorf("the zygote refused: %s", *reply.Error)
	}
	if reply.Pid == nil || *reply.Pid <= 0 {
		return nil, errors.New("the zygote answered no pid")
	}
	_ = c.SetDeadline(time.Time{})
	return &zygoteChild{conn: c, r: r, pid: *reply.Pid}, nil
}

// goAhead sends the go byte: from now on the child owns the fds it was given.
func (ch *zygoteChild) goAhead() error {
	_ = ch.conn.SetWriteDeadline(time.Now().Add(replyTimeout))
	_, err := ch.conn.Write([]byte("g"))
	_ = ch.conn.SetWriteDeadline(time.Time{})
	return err
}

// wait returns the child's exit code as the zygote reports it; 1 when the zygote goes away
// without saying.
func (ch *zygoteChild) wait() int {
	for {
		line, err := ch.r.ReadBytes('\n')
		if len(line) > 0 {
			var reply zygoteReply
			if json.Unmarshal(line, &reply) == nil && reply.Exit != nil {
				return *reply.Exit
			}
		}
		if err != nil {
			return 1
		}
	}
}

// watchParent calls gone (which must not return) as soon as this process's parent changes:
// Terraform died, even by SIGKILL, and we were re-parented.
func watchParent(tfpid int, gone func()) {
	for range time.Tick(parentPoll) {
		if os.Getppid() != tfpid {
			gone()
		}
	}
}

// warmLaunch hands this launch to a child of the zygote and stays as Terraform's process for
// it: relays the exit code, forwards signals, dies with Terraform. It returns (close the
// connection, go cold) only while the launch can still be done cold.
func warmLaunch(c *net.UnixConn, cold launch, z zygoteAddr) {
	payload, err := newLaunchRequest(os.Args[1:], cold.env, false)
	if err != nil {
		debugf("zygote: %v; cold launch", err)
		return
	}
	child, err := requestChild(c, []int{0, 1, 2}, payload)
	if err != nil {
		debugf("zygote: %v; cold launch", err)
		return
	}
	// go-plugin servers ignore Ctrl-C (Terraform stops them by RPC); the other signals are the
	// child's to act on.
	signal.Ignore(syscall.SIGINT)
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	if err := child.goAhead(); err != nil { // the child saw EOF and wrote nothing
		signal.Reset()
		debugf("zygote: %v; cold launch", err)
		return
	}
	debugf("warm launch: zygote child %d", child.pid)
	go func() {
		for s := range sigs {
			_ = syscall.Kill(child.pid, s.(syscall.Signal))
		}
	}()
	go watchParent(z.tfpid, func() { os.Exit(1) }) // our closed socket is the child's lifeline
	os.Exit(child.wait())
}

// pollFd is struct pollfd of poll(2).
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const (
	pollOut = 0x4 // POLLOUT
	pollErr = 0x8 // POLLERR: on a pipe's write end, every reader has closed it
)

// readerGone tells whether fd is a pipe nobody reads any more (poll(2) reports POLLERR on its
// write end). Terraform reads our stdout until it dies: when it is gone, Terraform died
// before this launch looked at its parent, and that parent is init or a subreaper.
func readerGone(fd int) bool {
	p := pollFd{fd: int32(fd), events: pollOut}
	var now syscall.Timespec // zero: do not wait
	n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&now)), 0, 0, 0)
	return errno == 0 && n == 1 && p.revents&pollErr != 0
}

// fastLaunch tries the fast paths; it returns when the launch should be done cold.
func fastLaunch(cold launch) {
	// A write to a stdout or stderr nobody reads any more (Terraform died) then fails with EPIPE
	// instead of killing this process on the spot (Go's default for fds 1 and 2): every way out
	// must remove the socket directory. execCold's signal.Reset restores the default.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	z, err := newZygoteAddr()
	if err != nil {
		debugf("no fast launch: %v", err)
		return
	}
	// After newZygoteAddr read our parent: Terraform's death closes its end of our stdout before
	// the kernel hands us to another parent. A zygote started for init (or a subreaper) would
	// never end, and nobody is left to serve: not even a cold launch, which would only import
	// for most of a second before its handshake line failed.
	if readerGone(1) {
		os.Exit(1)
	}
	c, err := dialZygote(z.name)
	if err != nil && zygoteAbsent(err) && zygoteStarting(z.name) {
		debugf("the zygote is starting: waiting up to %v for it", zygoteBindWait)
		c, err = awaitZygote(z.name, zygoteBindWait)
	}
	if err == nil {
		if relayable(os.Getenv) {
			relayLaunch(c, cold, z)
		} else {
			warmLaunch(c, cold, z)
		}
		c.Close()
		return
	}
	if !zygoteAbsent(err) {
		debugf("zygote: %v; cold launch", err)
		return
	}
	spawnZygote(cold, z)
	serveFromCache(cold, z)
}
