package dockerfake_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
)

func TestCallsAndFailOnNth(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	boom := errors.New("boom")
	f.FailOnNth("ContainerStart", "m", 2, boom)
	must[client.NetworkCreateResult](t)(f.NetworkCreate(ctx, "kt", client.NetworkCreateOptions{}))
	c := must[client.ContainerCreateResult](t)(f.ContainerCreate(ctx, registrySpec("m", "kt", "", nil)))
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	_ = tw.WriteHeader(&tar.Header{Name: "etc/x.yml", Mode: 0o600, Size: 2})
	_, _ = tw.Write([]byte("hi"))
	_ = tw.Close()
	must[client.CopyToContainerResult](t)(f.CopyToContainer(ctx, c.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: &tb}))
	must[client.ContainerStartResult](t)(f.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}))
	if _, err := f.ContainerRestart(ctx, "m", client.ContainerRestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := f.Stop("m"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ContainerStart(ctx, "m", client.ContainerStartOptions{}); !errors.Is(err, boom) {
		t.Errorf("second start: %v, want the injected failure", err)
	}
	must[client.ContainerStartResult](t)(f.ContainerStart(ctx, "m", client.ContainerStartOptions{}))
	must[client.ContainerInspectResult](t)(f.ContainerInspect(ctx, "m", client.ContainerInspectOptions{}))
	want := []string{"NetworkCreate kt", "ContainerCreate m", "CopyToContainer m /", "ContainerStart m", "ContainerRestart m", "ContainerStart m", "ContainerStart m"}
	if got := f.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	cp := must[client.CopyFromContainerResult](t)(f.CopyFromContainer(ctx, "m", client.CopyFromContainerOptions{SourcePath: "/etc/x.yml"}))
	tr := tar.NewReader(cp.Content)
	if h, err := tr.Next(); err != nil || h.Name != "x.yml" {
		t.Fatalf("copied out: %v %v", h, err)
	}
	if b, _ := io.ReadAll(tr); string(b) != "hi" {
		t.Errorf("copied out %q", b)
	}
	if err := f.RemoveFile("m", "/etc/x.yml"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.CopyFromContainer(ctx, "m", client.CopyFromContainerOptions{SourcePath: "/etc/x.yml"}); !docker.IsNotFound(err) {
		t.Errorf("copy of a removed file: %v, want not-found", err)
	}
}
