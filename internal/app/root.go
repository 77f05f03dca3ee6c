// Package app is kdev's command line: cobra commands that turn flags into options, run
// the orchestrator, and turn errors into exit codes. Only this package decides how the
// process ends.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/lock"
	"github.com/kdev-dev/kdev/internal/ui"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	// ExitUsage is bad usage or a bad configuration: fix the input, not the machine.
	ExitUsage = 2
	// ExitUnproven is a cache check that could not run, or ran and proved nothing.
	ExitUnproven = 3
	// ExitInterrupted is a command cancelled by SIGINT or SIGTERM, as shells report it.
	ExitInterrupted = 130
)

// exitError carries an exit code decided by a command, such as check's 2 for
// "could not run". Its message is printed like any error.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// usageError marks a mistake in the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// globals are the flags every command takes.
type globals struct {
	configFile    string
	name          string
	registryImage string
	nodeImage     string
	quiet         bool
	verbose       bool
	lockTimeout   time.Duration
	streams       ui.Streams
	connect       func(context.Context) (docker.API, error)
}

func (g *globals) load() (*config.Environment, error) {
	return config.Load(g.configFile, config.Overrides{Name: g.name, RegistryImage: g.registryImage, NodeImage: g.nodeImage})
}

func (g *globals) status() *ui.Status {
	v := ui.Normal
	switch {
	case g.quiet:
		v = ui.Quiet
	case g.verbose:
		v = ui.Verbose
	}
	return ui.NewStatus(g.streams.Err, v, ui.IsTerminal(g.streams.Err))
}

// environment loads the configuration and connects to Docker.
func (g *globals) environment(ctx context.Context) (*env.Env, *ui.Status, error) {
	cfg, err := g.load()
	if err != nil {
		return nil, nil, err
	}
	api, err := g.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	endpoint, err := docker.Endpoint()
	if err != nil {
		return nil, nil, err
	}
	locks, err := lock.ForEngine(endpoint)
	if err != nil {
		return nil, nil, err
	}
	proxy, err := g.proxy()
	if err != nil {
		return nil, nil, err
	}
	st := g.status()
	return &env.Env{Config: cfg, Docker: api, Progress: st, Cluster: cluster.New(st.Detail), Locks: locks, LockTimeout: g.lockTimeout, Proxy: proxy}, st, nil
}

// proxy is the proxy the mirrors go through: kdev's environment, else the Docker
// client's config for the engine kdev talks to.
func (g *globals) proxy() (docker.Proxy, error) {
	endpoint, err := docker.Endpoint()
	if err != nil {
		return docker.Proxy{}, err
	}
	return docker.FindProxy(os.Getenv, endpoint)
}

// withEnv builds a RunE for a command that acts on the environment: it validates the
// -o value when there is one, loads the configuration, connects to Docker, then runs.
func (g *globals) withEnv(out *string, run func(ctx context.Context, e *env.Env, st *ui.Status) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if out != nil {
			if err := output(*out); err != nil {
				return err
			}
		}
		e, st, err := g.environment(cmd.Context())
		if err != nil {
			return err
		}
		return run(cmd.Context(), e, st)
	}
}

// report completes cmd as a command that reads the environment (read is a method
// expression such as (*env.Env).Status, hence its argument order) and prints what it
// found: as text, or with -o json as the document doc makes of it (a type of
// internal/api, never the finding itself). verdict, when set, turns the finding into
// the exit code once it is printed.
func report[T, D any](g *globals, cmd *cobra.Command, read func(*env.Env, context.Context) (T, error),
	text func(io.Writer, T) error, doc func(T) D, verdict func(T) error) *cobra.Command {
	var out string
	cmd.Args = noArgs
	cmd.RunE = g.withEnv(&out, func(ctx context.Context, e *env.Env, _ *ui.Status) error {
		v, err := read(e, ctx)
		if err != nil {
			return err
		}
		if out == "json" {
			err = ui.JSON(g.streams.Out, doc(v))
		} else {
			err = text(g.streams.Out, v)
		}
		if err != nil || verdict == nil {
			return err
		}
		return verdict(v)
	})
	cmd.Flags().StringVarP(&out, "output", "o", "text", "text or json")
	return cmd
}

// Main runs kdev with the process's arguments and streams and returns its exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	streams := ui.StdStreams()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		// The first signal cancels the work, which then removes what it half-made; a
		// second one ends kdev at once, the default way. A cleanup that takes more
		// than a moment says so.
		stop()
		select {
		case <-finished:
		case <-time.After(time.Second):
			fmt.Fprintln(streams.Err, "Stopping: removing what was half-made (Ctrl-C again quits at once, and may leave containers behind)")
		}
	}()
	return Run(ctx, os.Args[1:], streams)
}

// Run executes one kdev command line. Tests call it in-process.
func Run(ctx context.Context, args []string, streams ui.Streams) int {
	g := &globals{streams: streams, connect: func(ctx context.Context) (docker.API, error) {
		return docker.Connect(ctx)
	}}
	root := newRoot(g)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	if code != ExitInterrupted {
		fmt.Fprintf(streams.Err, "ERROR: %v\n", err)
		return code
	}
	fmt.Fprintf(streams.Err, "ERROR: %s\n", interrupted(err))
	fmt.Fprintln(streams.Err, afterInterrupt(cmd.Name()))
	return code
}

// interrupted words a cancelled command's error: a Docker call cut short reads
// "list networks: interrupted", not its request URL and the signal's name.
func interrupted(err error) string {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = strings.Replace(msg, ue.Error(), "interrupted", 1)
	}
	return msg
}

// afterInterrupt says what an interrupted command left and how to go on.
func afterInterrupt(command string) string {
	switch command {
	case "up":
		return "Interrupted: what up finished stays (a cluster it was creating is removed); run `kdev up` again to continue, or `kdev down` to remove it all."
	case "down":
		return "Interrupted: some of the environment may remain; run `kdev down` again to finish."
	default:
		return "Interrupted: nothing was changed."
	}
}

func exitCode(err error) int {
	var ce *config.Error
	var ue usageError
	var ee exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ce), errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	default:
		return ExitFailure
	}
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "kdev",
		Short: "Local Kubernetes with pull-through registry mirrors that provably get hit",
		Long: `kdev brings up a Kind cluster on a dedicated Docker network, next to one
pull-through registry mirror per upstream, and proves that pulls hit the cache.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRun,
	}
	root.SetOut(g.streams.Out)
	root.SetErr(g.streams.Err)
	root.SetIn(g.streams.In)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVarP(&g.configFile, "config", "f", "", "environment file (default ./kdev.yaml when present, else built-in defaults)")
	pf.StringVar(&g.name, "name", "", "environment name (default from the file, else \"kdev\")")
	pf.StringVar(&g.registryImage, "registry-image", "", "registry image for mirrors and the local registry (default from the file, else registry:3)")
	pf.StringVar(&g.nodeImage, "node-image", "", "Kind node image (default from the file, else kind's default)")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print only warnings and errors")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "print every step with its timing")
	pf.DurationVar(&g.lockTimeout, "lock-timeout", 10*time.Minute, "how long up and down wait for another kdev run on the same environment (or on the shared mirrors) to finish")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if g.quiet && g.verbose {
			return usageError{errors.New("-q/--quiet and -v/--verbose cannot be used together")}
		}
		return nil
	}
	root.AddCommand(newUp(g), newDown(g), newStatus(g), newCheck(g), newDoctor(g), newKubeconfig(g), newConfig(g), newCache(g), newVersion(g))
	return root
}

// groupRun runs a command that only groups others: help with no arguments, a usage
// error naming the unknown command otherwise (cobra would print help and exit 0).
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	return usageError{fmt.Errorf("unknown command %q for %q; see `%s --help`", args[0], cmd.CommandPath(), cmd.CommandPath())}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%q takes no arguments, got %q; see `%s --help`", cmd.CommandPath(), args, cmd.CommandPath())}
	}
	return nil
}

// output validates an -o value.
func output(o string) error {
	if o != "text" && o != "json" {
		return usageError{fmt.Errorf("-o %q: use text or json", o)}
	}
	return nil
}
