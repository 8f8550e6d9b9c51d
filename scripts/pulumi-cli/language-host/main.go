// keyplane's Node.js language host for the Pulumi engine.
//
// The official pulumi-language-nodejs is not served by the Go module proxy this
// project can reach, so this small host implements the part of the
// LanguageRuntime gRPC service that `pulumi up/preview/refresh/destroy` and
// policy packs need: it starts the @pulumi/pulumi runner that the program
// itself depends on, passing the engine's addresses and the stack config.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

const version = "3.259.0"

// Exit code the Node.js runner uses after it has already reported an error to the engine.
const exitAfterReportedError = 32

// How often the engine is checked: a host whose engine was killed (a cancelled CI job kills the
// CLI's process group, not the plugins', which Pulumi starts in groups of their own) exits
// within about this long, with the Node.js processes it started.
const engineHealthInterval = time.Second

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	// Done when the engine is gone; every process this host starts ends with it.
	engine   context.Context
	children sync.WaitGroup
}

func main() {
	var engine string
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			engine = a
		}
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "language host: listen:", err)
		os.Exit(1)
	}
	engineCtx, engineGone := context.WithCancel(context.Background())
	h := &host{engineAddress: engine, engine: engineCtx}
	if engine != "" {
		if err := rpcutil.Healthcheck(engineCtx, engine, engineHealthInterval, engineGone); err != nil {
			fmt.Fprintln(os.Stderr, "language host: engine health check:", err)
			os.Exit(1)
		}
	}
	go func() {
		<-engineCtx.Done()
		// The children were killed by their contexts; give them a moment to be reaped.
		waited := make(chan struct{})
		go func() { h.children.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
		}
		fmt.Fprintln(os.Stderr, "language host: the engine is gone; exiting")
		os.Exit(1)
	}()
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(400 << 20))
	pulumirpc.RegisterLanguageRuntimeServer(srv, h)
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)
	if err := srv.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, "language host: serve:", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// Plugins are resolved by the engine from the program's own resources; keyplane
// only uses dynamic providers, which need no download.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, _ := exec.LookPath("node")
	out, _ := exec.Command("node", "--version").Output()
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

// Dependencies are installed by npm before Pulumi runs; nothing to do here.
func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	return nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// runNode runs node in dir, killed when its request ends or the engine is gone, whichever
// comes first.
func (h *host) runNode(ctx context.Context, dir string, env []string, stdout, stderr io.Writer, args ...string) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	defer context.AfterFunc(h.engine, stop)()
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, stdout, stderr
	// Output pipes held open by a killed process's own children must not keep Wait waiting.
	cmd.WaitDelay = time.Second
	h.children.Add(1)
	defer h.children.Done()
	return cmd.Run()
}

// resolveModule finds a module the way the program itself would, from its directory.
func resolveModule(dir, module string) (string, error) {
	out, err := exec.Command("node", "-e",
		"process.stdout.write(require.resolve(process.argv[1], {paths: [process.argv[2]]}))",
		module, dir).Output()
	if err != nil {
		return "", fmt.Errorf("cannot find %s from %s: is @pulumi/pulumi installed for this program? (%v)", module, dir, err)
	}
	return string(out), nil
}

func programDir(info *pulumirpc.ProgramInfo, pwd string) string {
	if info != nil && info.ProgramDirectory != "" {
		return info.ProgramDirectory
	}
	return pwd
}

func typescriptEnv(info *pulumirpc.ProgramInfo) []string {
	ts := true
	if info != nil && info.Options != nil {
		if v, ok := info.Options.AsMap()["typescript"].(bool); ok {
			ts = v
		}
	}
	if ts {
		return []string{"PULUMI_NODEJS_TYPESCRIPT=true"}
	}
	return nil
}

// The runner expects config keys in the "<namespace>:config:<name>" form.
func configJSON(config map[string]string) (string, error) {
	out := make(map[string]string, len(config))
	for k, v := range config {
		ns, name, ok := strings.Cut(k, ":")
		if !ok {
			return "", fmt.Errorf("config key %q has no namespace", k)
		}
		if !strings.HasPrefix(name, "config:") {
			name = "config:" + name
		}
		out[ns+":"+name] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	runner, err := resolveModule(dir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	config, err := configJSON(req.GetConfig())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	secretKeys, _ := json.Marshal(req.GetConfigSecretKeys())
	if req.GetConfigSecretKeys() == nil {
		secretKeys = []byte("[]")
	}

	args := []string{runner}
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	if req.GetInfo() != nil {
		add("root-directory", req.GetInfo().RootDirectory)
	}
	add("stack", req.GetStack())
	add("pwd", dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	entry := "."
	if req.GetInfo() != nil && req.GetInfo().EntryPoint != "" {
		entry = req.GetInfo().EntryPoint
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	env := append(os.Environ(), "PULUMI_CONFIG="+config, "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	env = append(env, typescriptEnv(req.GetInfo())...)
	if err := h.runNode(ctx, dir, env, os.Stdout, os.Stderr, args...); err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			if exit.ExitCode() == exitAfterReportedError {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: "could not run the Node.js program: " + err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

type streamWriter struct {
	send func([]byte) error
}

func (w streamWriter) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	if err := w.send(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// RunPlugin starts a plugin written in Node.js; the engine uses it for policy packs.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	dir := programDir(req.GetInfo(), req.GetPwd())
	module := "@pulumi/pulumi/cmd/run-plugin"
	if req.GetKind() == "analyzer" {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	runner, err := resolveModule(dir, module)
	if err != nil {
		return err
	}
	args := []string{runner}
	if req.GetKind() == "analyzer" {
		// run-policy-pack takes <engine-address> <policy pack directory>.
		args = append(args, req.GetArgs()...)
		args = append(args, dir)
	} else {
		args = append(args, dir)
		args = append(args, req.GetArgs()...)
	}
	env := append(req.GetEnv(), typescriptEnv(req.GetInfo())...)
	if len(req.GetEnv()) == 0 {
		env = append(os.Environ(), typescriptEnv(req.GetInfo())...)
	}
	var sendMu = make(chan struct{}, 1)
	send := func(r *pulumirpc.RunPluginResponse) error {
		sendMu <- struct{}{}
		defer func() { <-sendMu }()
		return server.Send(r)
	}
	stdout := streamWriter{send: func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	}}
	stderr := streamWriter{send: func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	}}
	code := 0
	// Plugins (policy packs read their package.json) run in their own directory.
	if err := h.runNode(server.Context(), filepath.Clean(dir), env, stdout, stderr, args...); err != nil {
		exit, ok := err.(*exec.ExitError)
		if !ok {
			return err
		}
		code = exit.ExitCode()
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

var _ io.Writer = streamWriter{}
