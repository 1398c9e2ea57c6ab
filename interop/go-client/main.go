// Command go-client is the Go blog post's client, written for jsonmux's
// interop tests, and the post's test as its main.
//
// The client, as the post describes it:
//   - NewConn dials with a 3 s timeout, turns TCP keepalive on and sets
//     SO_LINGER to 0 (Close resets the connection);
//   - a reader goroutine scans the connection line by line (bufio.Scanner,
//     64 KiB lines at most), decodes each line as a Resp and hands it to the
//     channel stored under its Uid in a sync.Map, then forgets the Uid;
//     answers with an unknown Uid are dropped; when the scan stops, every
//     waiting channel is closed;
//   - Send stores a fresh channel under the request's Uid and writes the
//     request as JSON WITHOUT a trailing newline (-newline adds one).
//
// Two changes from the post: the channel carries the whole Resp (so the test
// can check each field), and writes are serialised by a mutex (the post
// shared one bufio.Writer between callers, which is only safe with one).
//
// The test: on one connection, send {Uid:"pixel-1",Val:"pixelpig!"} and
// wait for the answer, then {Uid:"pixel-1",Val:"another pig!"} and wait,
// printing "<Ts>: <Val>" for each. With -concurrent, then send -n requests
// with distinct Uids all at once on the same connection and check every
// answer (they may come back in any order). An answer is right when its Uid
// is the request's, its Val is "server: hello, "+Val and its Ts parses as
// time.RFC3339Nano. Exit status 0 iff every answer is right and arrives
// within -timeout.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"sync"
	"time"
)

// Message is a request.
type Message struct {
	Uid string
	Val string
}

// Resp is an answer.
type Resp struct {
	Uid string
	Val string
	Ts  string
}

// TAG is what the server puts before every Val.
const TAG = "server: hello, "

// Option configures a Conn.
type Option struct {
	Addr        string
	DialTimeout time.Duration
	KeepAlive   time.Duration
	Newline     bool // end each request with '\n' (the post does not)
}

// Conn is one connection with many requests in flight, routed by Uid.
type Conn struct {
	conn      net.Conn
	opt       Option
	retChan   *sync.Map // Uid -> chan Resp, for requests waiting for their answer
	writeMu   sync.Mutex
	closeOnce sync.Once
}

// NewConn dials opt.Addr and starts the reader goroutine.
func NewConn(opt Option) (*Conn, error) {
	c, err := net.DialTimeout("tcp", opt.Addr, opt.DialTimeout)
	if err != nil {
		return nil, err
	}
	tc := c.(*net.TCPConn)
	if err := tc.SetKeepAlive(true); err != nil {
		c.Close()
		return nil, err
	}
	if err := tc.SetKeepAlivePeriod(opt.KeepAlive); err != nil {
		c.Close()
		return nil, err
	}
	if err := tc.SetLinger(0); err != nil {
		c.Close()
		return nil, err
	}
	conn := &Conn{conn: c, opt: opt, retChan: new(sync.Map)}
	go conn.receiveResp()
	return conn, nil
}

func (c *Conn) receiveResp() {
	scanner := bufio.NewScanner(c.conn)
	for scanner.Scan() {
		var rsp Resp
		if err := json.Unmarshal(scanner.Bytes(), &rsp); err != nil {
			log.Printf("bad answer %q: %v", scanner.Text(), err)
			break
		}
		value, ok := c.retChan.LoadAndDelete(rsp.Uid)
		if !ok {
			log.Printf("no request waits for Uid %q: answer dropped", rsp.Uid)
			continue
		}
		ch := value.(chan Resp)
		ch <- rsp // capacity 1: never blocks
		close(ch)
	}
	if err := scanner.Err(); err != nil && !errors.Is(err, net.ErrClosed) {
		log.Printf("reading answers: %v", err)
	}
	c.Close()
}

// Close closes the connection and every waiting channel.
func (c *Conn) Close() {
	c.closeOnce.Do(func() {
		c.conn.Close()
		c.retChan.Range(func(k, v interface{}) bool {
			if _, ok := c.retChan.LoadAndDelete(k); ok {
				close(v.(chan Resp))
			}
			return true
		})
	})
}

// Send writes msg and returns the channel its answer will arrive on; the
// channel is closed without a value if the connection ends first.
func (c *Conn) Send(msg Message) (chan Resp, error) {
	ch := make(chan Resp, 1)
	c.retChan.Store(msg.Uid, ch)
	js, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if c.opt.Newline {
		js = append(js, '\n')
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	w := bufio.NewWriter(c.conn)
	if _, err := w.Write(js); err != nil {
		return nil, err
	}
	return ch, w.Flush()
}

// check says what is wrong with rsp as the answer to msg, or "" if nothing.
func check(msg Message, rsp Resp) string {
	switch {
	case rsp.Uid != msg.Uid:
		return fmt.Sprintf("Uid %q, want %q", rsp.Uid, msg.Uid)
	case rsp.Val != TAG+msg.Val:
		return fmt.Sprintf("Val %q, want %q", rsp.Val, TAG+msg.Val)
	}
	if _, err := time.Parse(time.RFC3339Nano, rsp.Ts); err != nil {
		return fmt.Sprintf("Ts %q is not RFC3339Nano: %v", rsp.Ts, err)
	}
	return ""
}

// await waits for the answer on ch until deadline and checks it.
func await(msg Message, ch chan Resp, deadline <-chan time.Time) (Resp, string) {
	select {
	case rsp, ok := <-ch:
		if !ok {
			return rsp, "connection closed before the answer"
		}
		return rsp, check(msg, rsp)
	case <-deadline:
		return Resp{}, "no answer in time"
	}
}

// postTest is the post's test: two requests with the same Uid, one after the other.
func postTest(c *Conn, timeout time.Duration) bool {
	pass := true
	for _, msg := range []Message{
		{Uid: "pixel-1", Val: "pixelpig!"},
		{Uid: "pixel-1", Val: "another pig!"},
	} {
		ch, err := c.Send(msg)
		if err != nil {
			fmt.Printf("send %+v: FAIL: %v\n", msg, err)
			return false
		}
		rsp, problem := await(msg, ch, time.After(timeout))
		if problem != "" {
			fmt.Printf("%+v: FAIL: %s\n", msg, problem)
			pass = false
			continue
		}
		fmt.Printf("%s: %s\n", rsp.Ts, rsp.Val)
	}
	return pass
}

// concurrentTest sends n requests with distinct Uids before awaiting any answer.
func concurrentTest(c *Conn, n int, timeout time.Duration) bool {
	msgs := make([]Message, n)
	chans := make([]chan Resp, n)
	var sendErrs sync.Map
	var sent sync.WaitGroup
	for i := range msgs {
		msgs[i] = Message{Uid: fmt.Sprintf("pixel-c-%d", i), Val: fmt.Sprintf("pig %d", i)}
		sent.Add(1)
		go func(i int) {
			defer sent.Done()
			ch, err := c.Send(msgs[i])
			if err != nil {
				sendErrs.Store(i, err)
			}
			chans[i] = ch
		}(i)
	}
	sent.Wait()
	deadline := time.After(timeout)
	bad := 0
	for i, msg := range msgs {
		if err, failed := sendErrs.Load(i); failed {
			fmt.Printf("send %+v: FAIL: %v\n", msg, err)
			bad++
			continue
		}
		if _, problem := await(msg, chans[i], deadline); problem != "" {
			fmt.Printf("%+v: FAIL: %s\n", msg, problem)
			bad++
		}
	}
	fmt.Printf("concurrent: %d/%d answers right\n", n-bad, n)
	return bad == 0
}

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "server address")
	newline := flag.Bool("newline", false, "end each request with '\\n' (the post does not)")
	concurrent := flag.Bool("concurrent", false,
		"after the post's test, send -n requests with distinct Uids at once and check every answer")
	n := flag.Int("n", 100, "requests in flight at once with -concurrent")
	timeout := flag.Duration("timeout", 5*time.Second, "bound on each wait for answers")
	flag.Parse()
	if *n < 1 {
		log.Fatal("-n must be >= 1")
	}

	c, err := NewConn(Option{
		Addr:        *addr,
		DialTimeout: 3 * time.Second,
		KeepAlive:   time.Second,
		Newline:     *newline,
	})
	if err != nil {
		fmt.Printf("FAIL: dial %s: %v\n", *addr, err)
		os.Exit(1)
	}
	defer c.Close()

	pass := postTest(c, *timeout)
	if pass && *concurrent {
		pass = concurrentTest(c, *n, *timeout)
	}
	if !pass {
		fmt.Println("FAIL")
		c.Close()
		os.Exit(1)
	}
	fmt.Println("PASS")
}
