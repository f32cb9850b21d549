package quiet

import (
	"bytes"
	"io"
	"regexp"
)

// The two headers TensorFlow's log lines start with, with the severity
// letter in the first group:
//
//	2026-12-01 08:21:18.304251: I tensorflow/core/util/port.cc:153] …   (tsl)
//	I0000 00:00:1796113278.692940   13944 mlir_graph_optimization_pass.cc:401] …   (Abseil)
var header = regexp.MustCompile(`^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: ([IWEF]) \S+:\d+\]|([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\])`)

// abslPreamble is the line Abseil prints before its first message.
const abslPreamble = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"

// filter passes through what is written to it, less TensorFlow's log
// messages of severity INFO, WARNING and ERROR. A message is a header line
// and the lines after it that continue it: lines that start with white
// space (a status's node trace) or with "To enable the following
// instructions" (the CPU-feature notice's second line). Not safe for
// concurrent use; one goroutine feeds it.
type filter struct {
	w       io.Writer
	partial []byte // a line not yet ended by '\n'
}

func newFilter(w io.Writer) *filter { return &filter{w: w} }

// Write filters p and reports len(p) written, whatever the filter dropped.
func (f *filter) Write(p []byte) (int, error) {
	n := len(p)
	data := append(f.partial, p...)
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		f.partial = data
		return n, nil
	}
	f.partial = append([]byte(nil), data[end+1:]...)
	var keep []byte
	drop := false // inside a dropped message
	for _, line := range bytes.SplitAfter(data[:end+1], []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		text := bytes.TrimRight(line, "\r\n")
		if m := header.FindSubmatch(text); m != nil {
			sev := m[1]
			if sev == nil {
				sev = m[2]
			}
			drop = sev[0] != 'F'
		} else if string(text) == abslPreamble {
			drop = true
		} else if drop && !continuation(text) {
			drop = false
		}
		if !drop {
			keep = append(keep, line...)
		}
	}
	if len(keep) > 0 {
		if _, err := f.w.Write(keep); err != nil {
			return n, err
		}
	}
	return n, nil
}

// continuation reports whether a line without a header continues the
// message before it.
func continuation(line []byte) bool {
	return len(line) > 0 && (line[0] == ' ' || line[0] == '\t') ||
		bytes.HasPrefix(line, []byte("To enable the following instructions"))
}
