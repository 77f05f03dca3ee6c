package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// EnsureImage pulls ref when the engine does not have it. hint is added to the error
// when the pull fails: what to do on a machine that cannot reach the registry.
func EnsureImage(ctx context.Context, api API, ref, hint string) error {
	if _, err := api.ImageInspect(ctx, ref); err == nil {
		return nil
	} else if !IsNotFound(err) {
		return fmt.Errorf("inspect image %q: %w", ref, err)
	}
	resp, err := api.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err == nil {
		err = resp.Wait(ctx)
	}
	if err != nil {
		return fmt.Errorf("image %q is not on this machine and cannot be pulled: %w\n%s", ref, err, hint)
	}
	return nil
}
