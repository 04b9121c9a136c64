package main

// A relayed warm launch: this launcher serves the launch's gRPC itself (the handshake line,
// AutoMTLS, HTTP/2, go-plugin's services: server.go) and relays every provider call to a child
// of the zygote over a socketpair, as the request body it received. The child then runs no TLS,
// no gRPC server and no gRPC threads of its own (provider/tfplugin/relay.py has the frames).
// Anything that fails before the handshake line is printed falls back to a cold launch.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	relayEnvName  = "TFPLUGIN_RELAY" // 0/off/false/no: warm launches hand the child the stdio instead
	relayMaxBody  = 256 << 20        // as the provider's receive limit
	relayExitWait = 1 * time.Second  // after Shutdown, how long the child gets to exit
	relayLostWait = 100 * time.Millisecond
	linkDown      = 255 // not a gRPC status: the answer fail() gives the calls in flight
)

// relayable: Terraform asked for AutoMTLS over protocol 6 (this launcher then has everything
// it needs to serve the launch), and the relay is not switched off.
func relayable(getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv(relayEnvName))) {
	case "0", "off", "false", "no":
		return false
	}
	return strings.TrimSpace(getenv("PLUGIN_CLIENT_CERT")) != "" && offersProtocol6(getenv("PLUGIN_PROTOCOL_VERSIONS"))
}

// relayLaunch serves this launch with a zygote child behind a relay socket. It returns (the
// caller goes cold) only before the handshake line is printed; after that it exits the process.
func relayLaunch(c *net.UnixConn, cold launch, z zygoteAddr) {
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		debugf("relay: %v; cold launch", err)
		return
	}
	ours := os.NewFile(uintptr(pair[0]), "relay")
	payload, err := newLaunchRequest(os.Args[1:], cold.env, true)
	var child *zygoteChild
	if err == nil {
		// The child's stdout is our stderr: the handshake line is ours to print; anything it
		// writes goes to Terraform's provider log.
		child, err = requestChild(c, []int{0, 2, 2, pair[1]}, payload)
	}
	syscall.Close(pair[1])
	if err != nil {
		ours.Close()
		debugf("zygote: %v; cold launch", err)
		return
	}
	conn, err := net.FileConn(ours) // a duplicate: ours is closed now, or the child never sees the end
	ours.Close()
	if err != nil {
		debugf("relay: %v; cold launch", err)
		return
	}
	// No schema cache here: a warm launch is rarely asked for the schema (Terraform keeps it
	// from launch 1), and the child answers it when it is.
	s := &cachedServer{cold: cold, zygote: z, relayed: true, shutdown: make(chan struct{}), stopping: make(chan struct{})}
	line, err := s.listen(strings.TrimSpace(os.Getenv("PLUGIN_CLIENT_CERT")))
	if err == nil {
		err = child.goAhead() // before it, the child has done nothing; c closing ends it quietly
	}
	if err != nil {
		conn.Close()
		s.cleanup()
		debugf("relay: %v; cold launch", err)
		return
	}
	debugf("warm launch: zygote child %d, its calls relayed", child.pid)
	link := newRelayLink(conn)
	s.lost = make(chan int, 1)
	s.up = &upstream{
		call: func(r *http.Request, body []byte) rpcResult { return link.call(r.Context(), r.URL.Path, body) },
		stop: func() {
			link.close()
			select { // its exit report: logs flushed, nothing of it runs after Terraform's next step
			case <-child.exited():
			case <-time.After(relayExitWait):
			}
		},
	}
	go func() { // the child died under us: the calls in flight fail, and the launch ends as it did
		<-link.down
		select {
		case <-s.stopping:
			return
		default:
		}
		time.Sleep(relayLostWait) // the failed answers reach Terraform first
		select {
		case <-child.exited():
			s.lost <- child.exitCode
		case <-time.After(relayExitWait):
			s.lost <- 1
		}
	}()
	s.run(line)
}

// exited is closed once the zygote (or the child) reports the child's exit; exitCode is then set.
func (ch *zygoteChild) exited() <-chan struct{} {
	ch.exitOnce.Do(func() {
		ch.exitCh = make(chan struct{})
		go func() { ch.exitCode = ch.wait(); close(ch.exitCh) }()
	})
	return ch.exitCh
}

// relayAnswer is what the child answered one call with.
type relayAnswer struct {
	status byte
	msg    string
	body   []byte
}

// relayLink is the launcher's end of the relay socket: calls go out tagged with an id, answers
// come back in any order.
type relayLink struct {
	conn    net.Conn
	wmu     sync.Mutex
	mu      sync.Mutex
	next    uint32
	waiting map[uint32]chan relayAnswer
	err     error
	down    chan struct{} // closed when the link fails or is closed
}

func newRelayLink(conn net.Conn) *relayLink {
	l := &relayLink{conn: conn, waiting: map[uint32]chan relayAnswer{}, down: make(chan struct{})}
	go l.read()
	return l
}

// call relays one call; a failed link answers UNAVAILABLE, a call Terraform gave up CANCELLED.
func (l *relayLink) call(ctx context.Context, method string, body []byte) rpcResult {
	if len(body) > relayMaxBody || len(method) > 512 {
		return rpcResult{status: "8", msg: percentEncode(fmt.Sprintf("a call of %d bytes is larger than the provider accepts", len(body)))}
	}
	ch := make(chan relayAnswer, 1)
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return unavailable(l.err)
	}
	l.next++
	id := l.next
	l.waiting[id] = ch
	l.mu.Unlock()
	msg := make([]byte, 10+len(method)+len(body))
	binary.BigEndian.PutUint32(msg[0:], uint32(len(body)))
	binary.BigEndian.PutUint32(msg[4:], id)
	binary.BigEndian.PutUint16(msg[8:], uint16(len(method)))
	copy(msg[10:], method)
	copy(msg[10+len(method):], body)
	l.wmu.Lock()
	_, err := l.conn.Write(msg)
	l.wmu.Unlock()
	if err != nil {
		l.fail(err)
	}
	select {
	case a := <-ch:
		if a.status == linkDown {
			return unavailable(l.err) // set before fail() answered: the channel orders the two
		}
		return rpcResult{framed: a.body, status: strconv.Itoa(int(a.status)), msg: percentEncode(a.msg)}
	case <-ctx.Done():
		l.mu.Lock()
		delete(l.waiting, id)
		l.mu.Unlock()
		return rpcResult{status: "1", msg: "cancelled"}
	}
}

func unavailable(err error) rpcResult {
	return rpcResult{status: "14", msg: percentEncode("the provider process ended: " + err.Error())}
}

func (l *relayLink) read() {
	r := bufio.NewReaderSize(l.conn, 64<<10)
	var head [11]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			l.fail(err)
			return
		}
		n := binary.BigEndian.Uint32(head[0:])
		id := binary.BigEndian.Uint32(head[4:])
		status := head[8]
		mlen := binary.BigEndian.Uint16(head[9:])
		if n > relayMaxBody || status == linkDown {
			l.fail(fmt.Errorf("an answer of %d bytes", n))
			return
		}
		buf := make([]byte, int(mlen)+int(n))
		if _, err := io.ReadFull(r, buf); err != nil {
			l.fail(err)
			return
		}
		l.mu.Lock()
		ch := l.waiting[id]
		delete(l.waiting, id)
		l.mu.Unlock()
		if ch != nil {
			ch <- relayAnswer{status: status, msg: string(buf[:mlen]), body: buf[mlen:]}
		}
	}
}

// fail marks the link down once and answers every call still waiting.
func (l *relayLink) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("it closed the relay socket")
	}
	l.err = err
	for id, ch := range l.waiting {
		ch <- relayAnswer{status: linkDown}
		delete(l.waiting, id)
	}
	close(l.down)
}

// close ends the launch for the child: it sees the end of its socket and exits.
func (l *relayLink) close() {
	l.fail(errors.New("the launch ended"))
	_ = l.conn.Close()
}

// percentEncode is gRPC's encoding of grpc-message: bytes outside printable ASCII, and '%'.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
