//go:build ignore

// preview_shot takes the screenshot of docs/preview.png: it opens a live
// preview page in headless Chromium, waits until the page shows an image
// (and then for -wait more), and saves a PNG of the window.
//
//	go run docs/preview_shot.go -url http://127.0.0.1:8765/ -out docs/preview.png
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8765/", "the page")
	out := flag.String("out", "docs/preview.png", "the PNG to write")
	wait := flag.Duration("wait", 3*time.Second, "time to wait after the first image")
	flag.Parse()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 760), chromedp.Flag("hide-scrollbars", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var png []byte
	if err := chromedp.Run(ctx, chromedp.Navigate(*url),
		chromedp.WaitVisible("#frame", chromedp.ByID),
		chromedp.Sleep(*wait),
		chromedp.CaptureScreenshot(&png)); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, png, 0o644); err != nil {
		log.Fatal(err)
	}
}
