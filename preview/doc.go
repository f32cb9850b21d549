// Package preview serves a live page of one style transfer: the current
// image, the loss and its terms as growing curves, the iteration, the scale
// of a coarse-to-fine run, the elapsed time and an estimate of the time
// left, the run's settings and a Stop button. After the run the page keeps
// showing the result for as long as the program serves it.
//
// A Server is an http.Handler fed by style's callbacks; any Go program can
// mount it:
//
//	pv, err := preview.New(preview.Config{Title: "photo.jpg", Stop: func() { cancel(preview.ErrStopped) }})
//	if err != nil { … }
//	defer pv.Close(context.Background())
//	ep, err := preview.Listen(":8080", pv) // 127.0.0.1:8080
//	if err != nil { … }
//	defer ep.Close(context.Background())
//	fmt.Println("preview:", ep.URL)
//	res, err := style.Transfer(ctx, content, painting, style.WithProgress(pv.Progress))
//	if res != nil {
//		pv.Done(res.Image, err) // the page keeps showing the result
//	}
//
// # It never slows the transfer
//
// The progress hook (Server.Progress) records the metrics and returns; it
// reads the image (style.Progress.Image, a device-to-host copy on a GPU)
// only while at least one page is connected, at most once per
// Config.FrameInterval (default 1 s), and not while the previous image is
// still being encoded. The image is handed to one encoding goroutine, which
// keeps only the latest one: the hook never waits for an encoder or a
// client. The Server holds the latest image, the latest metrics and the
// loss curve (at most MaxPoints points: older ones are thinned out).
//
// # Server-sent events
//
// The page opens one EventSource on /events and the Server pushes a JSON
// message whenever something changed, at most every Config.EventInterval
// (default 250 ms) per client. Every message carries only what that client
// has not seen: the new points of the curve and, when there is one, the
// newest image as a data: URL. A client that reads slowly is written to
// less often and skips the images it had no time for; nothing is queued for
// it, so many or slow clients cost the transfer nothing but the one encode
// per frame. Server-sent events were chosen over polling because the
// server knows when there is news (no empty round trips, no polling
// interval to tune), over WebSockets because the traffic goes one way and
// needs no library on either side, and because EventSource reconnects by
// itself.
//
// # Safe by default
//
//   - Listen binds to 127.0.0.1 when the address has no host.
//   - Stop is a POST to /stop carrying the per-Server random token that the
//     page embeds; another site can neither read the page nor guess the
//     token, so it cannot stop the run (cross-site request forgery). Requests
//     whose Host header is neither an IP address, localhost, nor one of
//     Config.Hosts are refused, so that a DNS-rebinding site cannot read the
//     page either.
//   - Nothing from the disk is served: the page, its script and its style
//     sheet are embedded in the binary, and only the paths /, /app.js,
//     /app.css, /events, /frame.jpg and /stop exist.
//   - Bad methods and paths get 4xx responses; they never touch the run.
//
// A Server is safe for concurrent use. It is for one run: create one per
// transfer (or per video, whose frames it shows as a strip with AddFrame).
package preview
