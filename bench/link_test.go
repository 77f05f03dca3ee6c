package main

import (
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers every byte it reads.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// The shaper must add its round trip and hold throughput to its rate. Only lower bounds
// are asserted: a busy machine can make a transfer slower, never faster.
func TestLinkAddsDelayAndLimitsRate(t *testing.T) {
	ln := newLine(100*time.Millisecond, 8e6) // 1 MB/s
	l, err := newLink("127.0.0.1:0", echoServer(t), ln)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	start := time.Now()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 100*time.Millisecond {
		t.Errorf("round trip %v through a 100ms link", rtt)
	}

	payload := make([]byte, 512<<10)
	start = time.Now()
	go func() { _, _ = c.Write(payload) }()
	if _, err := io.ReadFull(c, make([]byte, len(payload))); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("512 KiB echoed in %v through a 1 MB/s link, want at least 0.5s", d)
	}
}

// Parallel connections, through two links, share the one line: a pull that opens
// several connections must not get several times the rate.
func TestLinksShareTheLine(t *testing.T) {
	ln := newLine(0, 8e6) // 1 MB/s
	var addrs []string
	for range 2 {
		l, err := newLink("127.0.0.1:0", echoServer(t), ln)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr(), l.Addr())
	}
	start := time.Now()
	errs := make(chan error, len(addrs))
	for _, a := range addrs {
		go func() {
			c, err := net.Dial("tcp", a)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			payload := make([]byte, 128<<10)
			go func() { _, _ = c.Write(payload) }()
			_, err = io.ReadFull(c, make([]byte, len(payload)))
			errs <- err
		}()
	}
	for range addrs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// 4 x 128 KiB each way over a 1 MB/s line: at least half a second.
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("4 connections moved 512 KiB in %v over a shared 1 MB/s line", d)
	}
}
