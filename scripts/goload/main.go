// A Go load generator in the seed client's style, for scripts/compare-servers.sh
// (GOLOAD=1): per connection, a reader goroutine routing answers by Uid, and
// `inflight` workers that each write one request per conn.Write (no
// batching, as the seed client does) and wait for its answer. Prints one
// JSON line: ok, errors, rps.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
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
