package main

import (
	"context"
	"io"
	"net"
	"sync"
	"time"
)

// pacer is one direction of the imitated internet connection: every byte through it,
// on any connection of any link, shares its rate, as on a real access link.
type pacer struct {
	mu   sync.Mutex
	rate float64 // bytes per second
	next time.Time
}

func newPacer(bitsPerSecond float64) *pacer { return &pacer{rate: bitsPerSecond / 8} }

// wait blocks until n more bytes fit on the line.
func (p *pacer) wait(n int) {
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	p.next = p.next.Add(time.Duration(float64(n) / p.rate * float64(time.Second)))
	until := p.next
	p.mu.Unlock()
	time.Sleep(time.Until(until))
}

// line is the imitated internet connection that all links share.
type line struct {
	down, up *pacer // toward the nodes and mirrors, toward the upstreams
	delay    time.Duration
}

func newLine(rtt time.Duration, bitsPerSecond float64) *line {
	return &line{down: newPacer(bitsPerSecond), up: newPacer(bitsPerSecond), delay: rtt / 2}
}

// link is a TCP proxy to one upstream over the shared line: every chunk is delivered
// one-way delay later, paced by the line's rate in its direction. This kernel has no
// netem qdisc (CONFIG_NET_SCH_NETEM is off), so the shaping lives here, in user space,
// on this machine only.
type link struct {
	ln     net.Listener
	target string
	line   *line
	wg     sync.WaitGroup
}

// newLink listens on addr and forwards every connection to target over the line.
func newLink(addr, target string, ln *line) (*link, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	k := &link{ln: l, target: target, line: ln}
	k.wg.Go(k.serve)
	return k, nil
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
	go func() { l.pipe(ctx, u, c, l.line.up); done <- struct{}{} }()
	go func() { l.pipe(ctx, c, u, l.line.down); done <- struct{}{} }()
	<-done
}

type chunk struct {
	at   time.Time
	data []byte
}

// pipe copies src to dst: a reader stamps each chunk with its due time (now + delay),
// a writer holds it until then and until the line has room for it. Chunks in flight
// overlap, as packets on a long path do, so the delay adds latency without capping
// throughput; the line's pacer caps it, across every connection.
func (l *link) pipe(ctx context.Context, dst io.WriteCloser, src io.Reader, p *pacer) {
	q := make(chan chunk, 4096)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case q <- chunk{time.Now().Add(l.line.delay), buf[:n]}:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		if d := time.Until(c.at); d > 0 {
			time.Sleep(d)
		}
		p.wait(len(c.data))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	for range q {
		// Drain, so that the reader is never left blocked on a full queue.
	}
}
