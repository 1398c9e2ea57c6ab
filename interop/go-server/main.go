// Command go-server is the Go blog post's JSON-over-TCP server, written
// for jsonmux's interop tests, with the post's bugs fixed.
//
// The wire, as the post defines it:
//
//	request   {"Uid":"...","Val":"..."}, read as a stream of JSON values:
//	          separated by '\n', by any JSON whitespace, or by nothing
//	response  {"Uid":<request's Uid>,"Val":"server: hello, "+<request's Val>,"Ts":<RFC3339Nano>}
//	          followed by '\n'
//
// The post's bugs, fixed here:
//   - it marshalled the request instead of the response;
//   - it never set Ts (here: time.Now() formatted as time.RFC3339Nano);
//   - it kept looping on a closed connection (here: return on io.EOF);
//   - it made a new json.Decoder per request, losing what the previous one
//     had buffered when requests arrive back to back (here: one per
//     connection);
//   - it carried on when Listen failed (here: exit).
//
// Kept from the post: a request whose Uid and Val are both empty gets no
// answer; any decode error closes the connection without an answer; no size
// limit, no timeouts, no connection limit.
//
// Once listening it prints "listening on <addr>" on stdout (so -addr may use
// port 0); everything else goes to stderr.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net"
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

type config struct {
	concurrent bool // a goroutine per request: answers may come back out of order
	delayMsMax int  // each request waits a random 0..delayMsMax ms before its answer
	quiet      bool // no log line per closed connection
}

func answer(msg Message) []byte {
	rsp := Resp{
		Uid: msg.Uid,
		Val: TAG + msg.Val,
		Ts:  time.Now().Format(time.RFC3339Nano),
	}
	ser, _ := json.Marshal(rsp) // a struct of strings always marshals
	return append(ser, '\n')
}

func transfer(conn net.Conn, cfg *config) {
	var writeMu sync.Mutex      // one answer per Write, whole (only contended with -concurrent)
	var handlers sync.WaitGroup // answers still being prepared (-concurrent)
	defer func() {
		handlers.Wait()
		if !cfg.quiet {
			log.Print("discard remove add:", conn.RemoteAddr().String())
		}
		conn.Close()
	}()

	handle := func(msg Message) {
		if cfg.delayMsMax > 0 {
			time.Sleep(time.Duration(rand.Intn(cfg.delayMsMax+1)) * time.Millisecond)
		}
		out := answer(msg)
		writeMu.Lock()
		conn.Write(out) // a failed write shows up as a failed read next
		writeMu.Unlock()
	}

	dec := json.NewDecoder(conn)
	for {
		var msg Message
		if err := dec.Decode(&msg); err != nil {
			if err != io.EOF {
				log.Printf("Decode from client err: %v", err)
			}
			return
		}
		if msg.Uid == "" && msg.Val == "" {
			continue
		}
		if cfg.concurrent {
			handlers.Add(1)
			go func(m Message) {
				defer handlers.Done()
				handle(m)
			}(msg)
		} else {
			handle(msg)
		}
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address (port 0: any free port)")
	var cfg config
	flag.BoolVar(&cfg.concurrent, "concurrent", false,
		"answer each request in its own goroutine, so answers may come back out of order")
	flag.IntVar(&cfg.delayMsMax, "delay-ms-max", 0,
		"wait a random 0..N ms before answering each request")
	flag.BoolVar(&cfg.quiet, "quiet", false, "do not log each closed connection")
	flag.Parse()
	if cfg.delayMsMax < 0 {
		log.Fatal("-delay-ms-max must be >= 0")
	}
	rand.Seed(time.Now().UnixNano())

	listen, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("listen %s: %v", *addr, err)
	}
	fmt.Printf("listening on %s\n", listen.Addr())
	for {
		conn, err := listen.Accept()
		if err != nil {
			log.Printf("accept failed, err: %v", err)
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors: do not spin
			continue
		}
		go transfer(conn, &cfg)
	}
}
