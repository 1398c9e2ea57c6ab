// A Go load generator for scripts/compare-servers.sh (GOLOAD=1). Prints one
// JSON line: ok, errors, rps. Two modes:
//
//   - go-client (default): the Go client's style. Per connection, a reader
//     goroutine routing answers by Uid, and `inflight` workers that each
//     write one request per conn.Write (no batching) and wait for its answer.
//   - pipelined: as cheap as a Go client gets, so the server's cost shows.
//     Per connection, one writer that sends a request for every answer
//     received, many per buffered write, and one reader that checks each
//     answer's Uid and Val with byte scans (no reflection).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type Message struct{ Uid, Val string }
type Resp struct{ Uid, Val, Ts string }

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "")
	conns := flag.Int("conns", 4, "")
	inflight := flag.Int("inflight", 64, "per connection")
	dur := flag.Duration("duration", 3*time.Second, "")
	mode := flag.String("mode", "go-client", "go-client | pipelined")
	flag.Parse()
	var ok, bad int64
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for c := 0; c < *conns; c++ {
		conn, err := net.Dial("tcp", *addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if *mode == "pipelined" {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pipelined(conn, *inflight, deadline, &ok, &bad)
			}()
			continue
		}
		var waiters sync.Map
		var wmu sync.Mutex
		go func() {
			sc := bufio.NewScanner(conn)
			for sc.Scan() {
				var r Resp
				if json.Unmarshal(sc.Bytes(), &r) != nil {
					continue
				}
				if ch, found := waiters.LoadAndDelete(r.Uid); found {
					ch.(chan Resp) <- r
				}
			}
		}()
		for w := 0; w < *inflight; w++ {
			wg.Add(1)
			go func(c, w int) {
				defer wg.Done()
				for i := 0; time.Now().Before(deadline); i++ {
					m := Message{Uid: fmt.Sprintf("c%d-w%d-%d", c, w, i), Val: "abcdefghijklmnop"}
					ch := make(chan Resp, 1)
					waiters.Store(m.Uid, ch)
					b, _ := json.Marshal(m)
					wmu.Lock()
					conn.Write(b)
					wmu.Unlock()
					select {
					case r := <-ch:
						if r.Val == "server: hello, "+m.Val {
							atomic.AddInt64(&ok, 1)
						} else {
							atomic.AddInt64(&bad, 1)
						}
					case <-time.After(5 * time.Second):
						atomic.AddInt64(&bad, 1)
						return
					}
				}
			}(c, w)
		}
	}
	wg.Wait()
	fmt.Printf("{\"ok\":%d,\"errors\":%d,\"rps\":%.0f}\n", ok, bad, float64(ok)/dur.Seconds())
}

const val = "abcdefghijklmnop"

var (
	uidPrefix = []byte(`{"Uid":"`)
	valField  = []byte(`","Val":"server: hello, ` + val + `"`)
)

// pipelined keeps `inflight` requests outstanding on conn until deadline,
// then waits (at most 5 s) for the answers still owed.
func pipelined(conn net.Conn, inflight int, deadline time.Time, ok, bad *int64) {
	var mu sync.Mutex // guards pending and stopped
	pending := make(map[uint64]struct{}, inflight)
	stopped := false
	credits := make(chan int, inflight)
	go func() {
		w := bufio.NewWriterSize(conn, 64<<10)
		var next uint64
		var buf []byte
		n := inflight
		for time.Now().Before(deadline) {
			mu.Lock()
			for i := 0; i < n; i++ {
				pending[next] = struct{}{}
				buf = append(buf[:0], uidPrefix...)
				buf = strconv.AppendUint(buf, next, 10)
				buf = append(buf, `","Val":"`+val+`"}`+"\n"...)
				w.Write(buf)
				next++
			}
			mu.Unlock()
			if w.Flush() != nil {
				break
			}
			n = <-credits
		drain:
			for {
				select {
				case k := <-credits:
					n += k
				default:
					break drain
				}
			}
		}
		// Sending is over: the reader ends once nothing is owed, or in 5 s.
		mu.Lock()
		stopped = true
		if len(pending) == 0 {
			conn.Close()
		}
		mu.Unlock()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	}()
	r := bufio.NewReaderSize(conn, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			mu.Lock()
			atomic.AddInt64(bad, int64(len(pending)))
			mu.Unlock()
			conn.Close()
			return
		}
		good, done := false, false
		if bytes.HasPrefix(line, uidPrefix) {
			rest := line[len(uidPrefix):]
			if end := bytes.IndexByte(rest, '"'); end > 0 {
				uid, err := strconv.ParseUint(string(rest[:end]), 10, 64)
				mu.Lock()
				_, known := pending[uid]
				delete(pending, uid)
				done = stopped && len(pending) == 0
				mu.Unlock()
				good = err == nil && known && bytes.HasPrefix(rest[end:], valField)
			}
		}
		if good {
			atomic.AddInt64(ok, 1)
		} else {
			atomic.AddInt64(bad, 1)
		}
		if done {
			conn.Close()
			return
		}
		select {
		case credits <- 1:
		default:
		}
	}
}
