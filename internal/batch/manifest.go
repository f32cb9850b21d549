package batch

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	// Image headers read by ImageSize.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// ErrManifest matches every error of Load about the manifest's content.
var ErrManifest = errors.New("batch: invalid manifest")

// Item is one line of a manifest, checked.
type Item struct {
	// Line is the item's 1-based line number in the manifest.
	Line int
	// ID names the item in status records and messages: its output path
	// relative to the manifest's folder, with slashes.
	ID string
	// Content, Styles and Out are absolute paths.
	Content string
	Styles  []string
	Out     string
	// Video is true when Content is a folder of frames or a video file:
	// the item is then stylized in video mode and Out is a folder of frames.
	Video bool
	// Options are the item's options, sorted by name; a list value gives
	// one Option per element, in order. Paths named by Config.PathOptions
	// are absolute.
	Options []Option
	// Key is a fingerprint of the item's content, styles, output and
	// options (and Config.Salt): a status record applies to the item only
	// if its key is equal.
	Key string
	// Facts are what Config.Check learned about the item.
	Facts Facts
}

// Option is one option of an item: a flag name of `stylize` and its value
// as it would be written on the command line.
type Option struct{ Name, Value string }

// Args returns the options as command-line arguments, "-name=value".
func (it *Item) Args() []string {
	out := make([]string, len(it.Options))
	for i, o := range it.Options {
		out[i] = "-" + o.Name + "=" + o.Value
	}
	return out
}

// Facts are what the command knows about an item before any work, for
// ordering and balancing the shards.
type Facts struct {
	// Group names the graph the item needs apart from its size: items with
	// equal Group, W and H can share one graph, and are run one after the
	// other.
	Group string
	// W and H are the output size in pixels (0 when unknown).
	W, H int
	// Cost is the relative amount of work (e.g. pixels × iterations ×
	// frames); 0 counts as 1.
	Cost float64
}

// Config says how Load checks the items.
type Config struct {
	// Check validates an item's options with the command's own parsing
	// (Item.Args) and returns its facts. Its error is reported with the
	// item's line. Nil accepts every option.
	Check func(it *Item) (Facts, error)
	// PathOptions are the options whose values are files: relative values
	// resolve against the manifest's folder and the files must exist.
	PathOptions []string
	// Salt is mixed into every Key, e.g. the weights file, so that changing
	// it makes every item pending again.
	Salt string
}

// Manifest is a checked manifest.
type Manifest struct {
	// Path is the manifest file; Dir its folder, against which relative
	// paths resolve (both absolute).
	Path, Dir string
	// Items in manifest order.
	Items []Item
}

// line is the JSON form of one item.
type line struct {
	Content string                     `json:"content"`
	Style   json.RawMessage            `json:"style"`
	Out     string                     `json:"out"`
	Options map[string]json.RawMessage `json:"options"`
}

// videoExts are the file extensions taken for video files when the file is
// not an image (OpenCV reads them through FFmpeg).
var videoExts = []string{".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv"}

// Load reads and checks the manifest at path: every line is a JSON object
// {"content": FILE, "style": FILE or [FILE, …], "out": FILE, "options":
// {NAME: VALUE, …}}; blank lines are ignored. Relative paths resolve against
// the manifest's folder; inputs must exist, outputs must be unique, and
// cfg.Check must accept the options. Every error names the manifest and the
// line, and matches ErrManifest (or the file system's error).
func Load(path string, cfg Config) (*Manifest, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("batch: manifest %q: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("batch: manifest: %w", err)
	}
	m := &Manifest{Path: abs, Dir: filepath.Dir(abs)}
	outs := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		it, err := m.item(n, text, cfg)
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %v", ErrManifest, path, n, err)
		}
		if prev, dup := outs[it.Out]; dup {
			return nil, fmt.Errorf("%w: %s:%d: out %q: already the output of line %d", ErrManifest, path, n, it.ID, prev)
		}
		outs[it.Out] = n
		m.Items = append(m.Items, *it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("batch: manifest %s: %w", path, err)
	}
	if len(m.Items) == 0 {
		return nil, fmt.Errorf("%w: %s: no items", ErrManifest, path)
	}
	// An output inside another item's video output folder would be mixed
	// with its frames.
	for _, it := range m.Items {
		if !it.Video {
			continue
		}
		for _, o := range m.Items {
			if o.Line != it.Line && strings.HasPrefix(o.Out, it.Out+string(filepath.Separator)) {
				return nil, fmt.Errorf("%w: %s:%d: out %q: inside the frame folder of line %d", ErrManifest, path, o.Line, o.ID, it.Line)
			}
		}
	}
	return m, nil
}

func (m *Manifest) resolve(p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(m.Dir, p)
	}
	return filepath.Clean(p)
}

func (m *Manifest) item(n int, text string, cfg Config) (*Item, error) {
	var l line
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("not a JSON object of content, style, out and options: %v", err)
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value on the line")
	}
	it := &Item{Line: n}
	switch {
	case l.Content == "":
		return nil, errors.New(`"content" is missing`)
	case l.Out == "":
		return nil, errors.New(`"out" is missing`)
	}
	styles, err := stringOrList(l.Style)
	if err != nil || len(styles) == 0 {
		return nil, errors.New(`"style": want a file or a non-empty list of files`)
	}
	it.Content = m.resolve(l.Content)
	fi, err := os.Stat(it.Content)
	if err != nil {
		return nil, fmt.Errorf("content %q: %w", l.Content, unwrapPath(err))
	}
	if fi.IsDir() {
		it.Video = true
	} else if _, _, err := ImageSize(it.Content); err != nil {
		if !slices.Contains(videoExts, strings.ToLower(filepath.Ext(it.Content))) {
			return nil, fmt.Errorf("content %q: neither an image (PNG, JPEG, GIF, BMP, TIFF, WebP) nor a video file (%s) nor a folder of frames",
				l.Content, strings.Join(videoExts, " "))
		}
		it.Video = true
	}
	for _, s := range styles {
		p := m.resolve(s)
		if _, _, err := ImageSize(p); err != nil {
			return nil, fmt.Errorf("style %q: %w", s, unwrapPath(err))
		}
		it.Styles = append(it.Styles, p)
	}
	it.Out = m.resolve(l.Out)
	if it.ID, err = filepath.Rel(m.Dir, it.Out); err != nil {
		it.ID = it.Out
	}
	it.ID = filepath.ToSlash(it.ID)
	if it.Out == it.Content || slices.Contains(it.Styles, it.Out) {
		return nil, fmt.Errorf("out %q: the same file as an input", l.Out)
	}
	if fi, err := os.Stat(it.Out); err == nil && fi.IsDir() != it.Video {
		if it.Video {
			return nil, fmt.Errorf("out %q: a video item's output is a folder of frames, and this is a file", l.Out)
		}
		return nil, fmt.Errorf("out %q: is a folder, want an image file", l.Out)
	}

	names := make([]string, 0, len(l.Options))
	for name := range l.Options {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == "" || strings.HasPrefix(name, "-") {
			return nil, fmt.Errorf("option %q: want a flag name of stylize without the dash, such as max-size", name)
		}
		values, err := optionValues(l.Options[name])
		if err != nil {
			return nil, fmt.Errorf("option %q: %v", name, err)
		}
		for _, v := range values {
			if slices.Contains(cfg.PathOptions, name) && v != "" {
				p := m.resolve(v)
				if _, err := os.Stat(p); err != nil {
					return nil, fmt.Errorf("option %q: %w", name, unwrapPath(err))
				}
				v = p
			}
			it.Options = append(it.Options, Option{Name: name, Value: v})
		}
	}
	if cfg.Check != nil {
		if it.Facts, err = cfg.Check(it); err != nil {
			return nil, err
		}
	}
	it.Key = m.key(it, cfg.Salt)
	return it, nil
}

// key fingerprints an item by what it is, not by its line.
func (m *Manifest) key(it *Item, salt string) string {
	h := sha256.New()
	rel := func(p string) string {
		if r, err := filepath.Rel(m.Dir, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	fmt.Fprintf(h, "%q\x00%q\x00%q\x00", salt, rel(it.Content), rel(it.Out))
	for _, s := range it.Styles {
		fmt.Fprintf(h, "style %q\x00", rel(s))
	}
	for _, o := range it.Options {
		fmt.Fprintf(h, "%q=%q\x00", o.Name, o.Value)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	for _, s := range list {
		if s == "" {
			return nil, errors.New("empty file name")
		}
	}
	return list, nil
}

// optionValues turns a JSON value into flag values: a string as it is, a
// number as written, a boolean as true or false, a list as one value per
// element.
func optionValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, errors.New("empty list")
		}
		var out []string
		for _, e := range list {
			v, err := scalar(e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

func scalar(raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("value %s: want a string, a number, a boolean or a list of them", raw)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ImageSize returns the width and height in the header of the image file
// at path (PNG, JPEG, GIF, BMP, TIFF or WebP), without decoding its pixels.
// A JPEG's EXIF orientation is not applied.
func ImageSize(path string) (w, h int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	c, _, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return 0, 0, fmt.Errorf("not an image (PNG, JPEG, GIF, BMP, TIFF, WebP): %w", err)
	}
	return c.Width, c.Height, nil
}

// OutDir is the deepest folder that holds every item's output (a video
// item's frame folder counts as its output): the default home of the
// status files, <OutDir>/.status.
func (m *Manifest) OutDir() string {
	dir := ""
	for _, it := range m.Items {
		d := filepath.Dir(it.Out)
		if dir == "" {
			dir = d
			continue
		}
		for dir != d && !strings.HasPrefix(d, dir+string(filepath.Separator)) && !(dir == string(filepath.Separator)) {
			dir = filepath.Dir(dir)
		}
	}
	return dir
}
