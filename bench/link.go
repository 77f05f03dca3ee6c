package main

import (
	"context"
	"io"
	"net"
	"sync"
	"time"
)

// link is a TCP proxy that imitates an internet path to an upstream: every chunk is
// delivered one-way delay later, and each direction is limited to rate bytes per
// second. This kernel has no netem qdisc (CONFIG_NET_SCH_NETEM is off), so the shaping
// lives here, in user space, on this machine only.
type link struct {
	ln     net.Listener
	target string
	delay  time.Duration
	rate   float64 // bytes per second, each direction
	wg     sync.WaitGroup
}

// newLink listens on addr and forwards every connection to target through the shaper.
func newLink(addr, target string, rtt time.Duration, bitsPerSecond float64) (*link, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &link{ln: ln, target: target, delay: rtt / 2, rate: bitsPerSecond / 8}
	l.wg.Go(l.serve)
	return l, nil
}

func (l *link) Addr() string { return l.ln.Addr().String() }

func (l *link) Close() error {
	err := l.ln.Close()
	l.wg.Wait()
	return err
}

func (l *link) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		go l.handle(c)
	}
}

func (l *link) handle(c net.Conn) {
	defer c.Close()
	u, err := net.DialTimeout("tcp", l.target, 5*time.Second)
	if err != nil {
		return
	}
	defer u.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{}, 2)
	go func() { l.pipe(ctx, u, c); done <- struct{}{} }()
	go func() { l.pipe(ctx, c, u); done <- struct{}{} }()
	<-done
}

type chunk struct {
	at   time.Time
	data []byte
}

// pipe copies src to dst: a reader stamps each chunk with its due time (now + delay),
// a writer holds it until then and paces it to the rate. Chunks in flight overlap, as
// packets on a long path do, so the delay adds latency without capping throughput.
func (l *link) pipe(ctx context.Context, dst io.WriteCloser, src io.Reader) {
	q := make(chan chunk, 4096)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case q <- chunk{time.Now().Add(l.delay), buf[:n]}:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	next := time.Now() // when the pacer may send again
	for c := range q {
		if d := time.Until(c.at); d > 0 {
			time.Sleep(d)
		}
		if now := time.Now(); next.Before(now) {
			next = now
		}
		if _, err := dst.Write(c.data); err != nil {
			break
		}
		next = next.Add(time.Duration(float64(len(c.data)) / l.rate * float64(time.Second)))
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	for range q {
		// Drain, so that the reader is never left blocked on a full queue.
	}
}
