package main

import (
	"context"
	"io"
	"os"

	"github.com/embedded-occ/provisioner/internal/app"
)

// runDaemon is `provisioner run`: the worker until SIGINT or SIGTERM.
func runDaemon(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := app.Load(newFlags("run", stderr), args, os.Getenv)
	if err != nil {
		return err
	}
	log := app.NewLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	rt, err := app.Start(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer rt.Close()
	log.Info().Str("data_dir", cfg.DataDir).Int("concurrency", cfg.Concurrency).Msg("provisioner running")
	err = rt.Run(ctx)
	log.Info().Msg("provisioner stopped")
	return err
}
