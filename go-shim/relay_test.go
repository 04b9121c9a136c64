package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeChild is the Python end of a relay socket (provider/tfplugin/relay.py), scripted.
type fakeChild struct {
	conn net.Conn
	r    *bufio.Reader
}

type gotCall struct {
	id     uint32
	method string
	body   []byte
}

func (f *fakeChild) next(t *testing.T) gotCall {
	t.Helper()
	var head [10]byte
	if _, err := io.ReadFull(f.r, head[:]); err != nil {
		t.Fatalf("reading a call: %v", err)
	}
	n, id, m := binary.BigEndian.Uint32(head[0:]), binary.BigEndian.Uint32(head[4:]), binary.BigEndian.Uint16(head[8:])
	buf := make([]byte, int(m)+int(n))
	if _, err := io.ReadFull(f.r, buf); err != nil {
		t.Fatalf("reading a call: %v", err)
	}
	return gotCall{id: id, method: string(buf[:m]), body: buf[m:]}
}

func (f *fakeChild) answer(t *testing.T, id uint32, status byte, msg string, body []byte) {
	t.Helper()
	out := make([]byte, 11+len(msg)+len(body))
	binary.BigEndian.PutUint32(out[0:], uint32(len(body)))
	binary.BigEndian.PutUint32(out[4:], id)
	out[8] = status
	binary.BigEndian.PutUint16(out[9:], uint16(len(msg)))
	copy(out[11:], msg)
	copy(out[11+len(msg):], body)
	if _, err := f.conn.Write(out); err != nil {
		t.Fatalf("answering: %v", err)
	}
}

func newPair(t *testing.T) (*relayLink, *fakeChild) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return newRelayLink(a), &fakeChild{conn: b, r: bufio.NewReader(b)}
}

func TestRelayAnswersReachTheirCallsInAnyOrder(t *testing.T) {
	link, child := newPair(t)
	results := make(chan rpcResult, 2)
	go func() { results <- link.call(context.Background(), "/tfplugin6.Provider/ReadResource", []byte("slow")) }()
	first := child.next(t)
	go func() { results <- link.call(context.Background(), "/tfplugin6.Provider/GetMetadata", []byte("fast")) }()
	second := child.next(t)
	if first.method != "/tfplugin6.Provider/ReadResource" || string(first.body) != "slow" || string(second.body) != "fast" || first.id == second.id {
		t.Fatalf("calls as sent: %+v %+v", first, second)
	}
	child.answer(t, second.id, 0, "", []byte("B"))
	if r := <-results; string(r.framed) != "B" || r.status != "0" {
		t.Fatalf("the fast call got %+v", r)
	}
	child.answer(t, first.id, 3, "bad 100% \n", nil)
	if r := <-results; r.status != "3" || r.msg != "bad 100%25 %0A" || len(r.framed) != 0 {
		t.Fatalf("the slow call got %+v", r)
	}
}

func TestRelayCallsInFlightFailUnavailableWhenTheChildDies(t *testing.T) {
	link, child := newPair(t)
	result := make(chan rpcResult, 1)
	go func() { result <- link.call(context.Background(), "/tfplugin6.Provider/ReadResource", nil) }()
	child.next(t)
	child.conn.Close()
	select {
	case r := <-result:
		if r.status != "14" || !strings.Contains(r.msg, "the provider process ended") {
			t.Fatalf("got %+v", r)
		}
	case <-time.After(30 * time.Second): // a wait for a hang, not a bound on speed
		t.Fatal("the call was never answered")
	}
	<-link.down
	if r := link.call(context.Background(), "/x/y", nil); r.status != "14" {
		t.Fatalf("a call after the end got %+v", r)
	}
}

func TestRelayACallTerraformGaveUpIsCancelledAndItsLateAnswerDropped(t *testing.T) {
	link, child := newPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan rpcResult, 1)
	go func() { result <- link.call(ctx, "/tfplugin6.Provider/ReadResource", nil) }()
	c := child.next(t)
	cancel()
	if r := <-result; r.status != "1" {
		t.Fatalf("got %+v", r)
	}
	child.answer(t, c.id, 0, "", []byte("late")) // nobody waits: dropped, the link stays up
	go func() { result <- link.call(context.Background(), "/tfplugin6.Provider/GetMetadata", nil) }()
	d := child.next(t)
	child.answer(t, d.id, 0, "", []byte("ok"))
	if r := <-result; string(r.framed) != "ok" {
		t.Fatalf("got %+v", r)
	}
}

func TestRelayAnAnswerLargerThanAllowedEndsTheLink(t *testing.T) {
	link, child := newPair(t)
	result := make(chan rpcResult, 1)
	go func() { result <- link.call(context.Background(), "/a/b", nil) }()
	c := child.next(t)
	var head [11]byte
	binary.BigEndian.PutUint32(head[0:], relayMaxBody+1)
	binary.BigEndian.PutUint32(head[4:], c.id)
	go func() { _, _ = child.conn.Write(head[:]) }()
	if r := <-result; r.status != "14" {
		t.Fatalf("got %+v", r)
	}
}

func TestRelayableNeedsAutoMTLSAndProtocol6AndTheSwitch(t *testing.T) {
	env := map[string]string{"PLUGIN_CLIENT_CERT": "-----BEGIN CERTIFICATE-----", "PLUGIN_PROTOCOL_VERSIONS": "5,6"}
	get := func(k string) string { return env[k] }
	if !relayable(get) {
		t.Fatal("AutoMTLS and protocol 6: relayed")
	}
	env[relayEnvName] = "off"
	if relayable(get) {
		t.Fatal("switched off")
	}
	delete(env, relayEnvName)
	env["PLUGIN_PROTOCOL_VERSIONS"] = "5"
	if relayable(get) {
		t.Fatal("protocol 5 only")
	}
	env["PLUGIN_PROTOCOL_VERSIONS"] = "6"
	env["PLUGIN_CLIENT_CERT"] = " "
	if relayable(get) {
		t.Fatal("no AutoMTLS (TF_DISABLE_PLUGIN_TLS)")
	}
}
