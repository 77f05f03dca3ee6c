package config

import (
	"errors"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"5GB": 5e9, "500MB": 5e8, "1.5GiB": 3 << 29, "2 KiB": 2048, "1048576": 1 << 20, "10kB": 1e4, "7B": 7} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GB", "-1GB", "0", "five GB", "5XB", "1e300GB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute, "0.5d": 12 * time.Hour} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "0h", "7 days", "1w"} {
		if _, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) accepted", in)
		}
	}
}

func TestCachesMaxSize(t *testing.T) {
	e, err := Parse("kdev.yaml", []byte("apiVersion: kdev.dev/v1alpha1\nkind: Environment\ncaches:\n  maxSize: 5GB\n"))
	if err != nil || e.CacheMaxSize() != 5e9 {
		t.Fatalf("maxSize 5GB: %v, %d", err, e.CacheMaxSize())
	}
	if d := Default(); d.CacheMaxSize() != 0 {
		t.Errorf("default bound %d; want none", d.CacheMaxSize())
	}
	_, err = Parse("kdev.yaml", []byte("apiVersion: kdev.dev/v1alpha1\nkind: Environment\ncaches:\n  maxSize: lots\n"))
	var ce *Error
	if !errors.As(err, &ce) || ce.Field != "caches.maxSize" {
		t.Fatalf("maxSize lots: %v; want an error naming caches.maxSize", err)
	}
}
