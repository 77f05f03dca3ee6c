package env

import (
	"context"
	"errors"
	"testing"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/config"
)

// TestUpRejectsKindMistakesFirst: a cluster.kind that kind would refuse stops up before
// its first Docker call (the Env has no Docker client at all here), so nothing is made.
func TestUpRejectsKindMistakesFirst(t *testing.T) {
	cfg, err := config.Parse("kdev.yaml", []byte("apiVersion: kdev.dev/v1alpha1\nkind: Environment\ncluster:\n  kind:\n    nodez: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Config: cfg, Cluster: cluster.New(func(string) {})}
	_, err = e.Up(context.Background())
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Field != "cluster.kind" {
		t.Fatalf("up = %v; want a configuration error on cluster.kind before anything is created", err)
	}
}
