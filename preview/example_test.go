package preview_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/neuralstyle/neuralstyle/preview"
	"github.com/neuralstyle/neuralstyle/style"
)

// Mount the page of a transfer in your own server; feed it with the
// progress hook and tell it when the run ends.
func ExampleServer() {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	pv, err := preview.New(preview.Config{
		Title:    "photo.jpg in the style of painting.jpg",
		Settings: []preview.Setting{{Name: "iterations", Value: "500"}},
		Stop:     func() { cancel(preview.ErrStopped) }, // Stop ends the run as Ctrl-C would
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pv.Close(context.Background())
	srv := httptest.NewServer(pv) // or preview.Listen(":8080", pv), or your own mux
	defer srv.Close()

	// A real program runs the transfer here:
	//	res, err := style.Transfer(ctx, content, painting, style.WithProgress(pv.Progress))
	//	pv.Done(res.Image, err)
	_ = style.WithProgress(pv.Progress)
	pv.Done(nil, ctx.Err())
	fmt.Println(pv.Viewers(), "viewers")
	// Output: 0 viewers
}
