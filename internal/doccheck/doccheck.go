// Package doccheck checks the relative links and images of the module's
// Markdown pages: every target must be a file or folder of the repository,
// and a "#heading" anchor must name a heading of the page it points to.
// Its test runs the check on README.md and docs/**/*.md, so `go test ./...`
// (and `make test`) fails on a broken link. It needs no TensorFlow.
//
// The Markdown it understands is what the pages use: inline links and images
// ([text](target "title"), ![alt](target), <target> in angle brackets),
// reference definitions ([name]: target), and src= and href= attributes of
// HTML tags. Fenced code blocks and code spans are skipped. Links with a
// scheme (https:, mailto:) are not checked. Anchors follow GitHub's heading
// IDs (see Slug); only ATX headings (# Title) are recognised.
package doccheck

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"unicode"
)

// Link is a link or image target found in a Markdown page.
type Link struct {
	// Target is the destination as written, without its title.
	Target string
	// Line is the 1-based line of the destination.
	Line int
	// Image is true for ![alt](target) and <img src=…>.
	Image bool
}

// Problem is a link whose target does not resolve.
type Problem struct {
	File   string // the page, as given to Check
	Line   int    // 1-based
	Target string // as written
	Reason string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Target, p.Reason)
}

// Links returns the link and image targets of a Markdown page in the order
// they appear. Code blocks and code spans are skipped.
func Links(md []byte) []Link {
	text := blankCode(string(md))
	var links []Link
	for i := 0; i+1 < len(text); i++ {
		if text[i] != ']' || text[i+1] != '(' {
			continue
		}
		target, end, ok := destination(text, i+2)
		if !ok {
			continue
		}
		open := matchingBracket(text, i)
		image := open > 0 && text[open-1] == '!'
		links = append(links, Link{Target: target, Line: lineOf(text, i+2), Image: image})
		i = end - 1
	}
	for _, m := range refDef.FindAllStringSubmatchIndex(text, -1) {
		t := strings.TrimSuffix(strings.TrimPrefix(text[m[2]:m[3]], "<"), ">")
		links = append(links, Link{Target: t, Line: lineOf(text, m[2])})
	}
	for _, m := range htmlAttr.FindAllStringSubmatchIndex(text, -1) {
		name := strings.ToLower(text[m[2]:m[3]])
		links = append(links, Link{Target: text[m[4]:m[5]], Line: lineOf(text, m[4]), Image: name == "src"})
	}
	sort.SliceStable(links, func(a, b int) bool { return links[a].Line < links[b].Line })
	return links
}

var (
	refDef   = regexp.MustCompile(`(?m)^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)`)
	htmlAttr = regexp.MustCompile(`(?i)<[a-z][^>]*?\b(src|href)\s*=\s*"([^"]*)"`)
	fence    = regexp.MustCompile("^ *(`{3,}|~{3,})")
	atx      = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*$`)
	closing  = regexp.MustCompile(`[ \t]+#+$`)
	inline   = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
)

// destination parses a link destination starting at s[i] (just after
// "]("): optional spaces, then <…> or a run without spaces whose
// parentheses balance, then an optional title, then ")". It returns the
// destination and the index after ")".
func destination(s string, i int) (string, int, bool) {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	var target string
	if i < len(s) && s[i] == '<' {
		j := strings.IndexAny(s[i:], ">\n")
		if j < 0 || s[i+j] != '>' {
			return "", 0, false
		}
		target, i = s[i+1:i+j], i+j+1
	} else {
		start, depth := i, 0
		for ; i < len(s); i++ {
			c := s[i]
			if c == ' ' || c == '\t' || c == '\n' {
				break
			}
			if c == '(' {
				depth++
			} else if c == ')' {
				if depth == 0 {
					break
				}
				depth--
			}
		}
		target = s[start:i]
	}
	// An optional title: "…", '…' or (…).
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	if i < len(s) && (s[i] == '"' || s[i] == '\'' || s[i] == '(') {
		end := map[byte]byte{'"': '"', '\'': '\'', '(': ')'}[s[i]]
		j := strings.IndexByte(s[i+1:], end)
		if j < 0 {
			return "", 0, false
		}
		i += j + 2
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
			i++
		}
	}
	if i >= len(s) || s[i] != ')' {
		return "", 0, false
	}
	return target, i + 1, true
}

// matchingBracket returns the index of the "[" that the "]" at s[close]
// closes, or -1.
func matchingBracket(s string, close int) int {
	depth := 0
	for i := close; i >= 0; i-- {
		switch s[i] {
		case ']':
			depth++
		case '[':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func lineOf(s string, i int) int { return strings.Count(s[:i], "\n") + 1 }

// blankCode replaces the contents of fenced code blocks and code spans with
// spaces, keeping every newline, so that positions and lines stay valid.
func blankCode(s string) string { return blankSpans(blankFences(s)) }

// blankFences blanks fenced code blocks, fences included.
func blankFences(s string) string {
	lines := strings.SplitAfter(s, "\n")
	var open string // the opening fence while inside a block
	for i, l := range lines {
		m := fence.FindStringSubmatch(l)
		switch {
		case open == "" && m != nil:
			open = m[1]
			lines[i] = blank(l)
		case open != "":
			if m != nil && m[1][0] == open[0] && len(m[1]) >= len(open) &&
				strings.TrimSpace(strings.TrimLeft(l, " "+string(open[0]))) == "" {
				open = ""
			}
			lines[i] = blank(l)
		}
	}
	return strings.Join(lines, "")
}

// blankSpans blanks code spans: a run of n backticks up to the next run of
// exactly n backticks in the same paragraph. An unmatched run is literal.
func blankSpans(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		n := run(b, i)
		end := -1
		for j := i + n; j < len(b); {
			if b[j] == '\n' && j+1 < len(b) && isBlankLine(b[j+1:]) {
				break
			}
			if b[j] == '`' {
				m := run(b, j)
				if m == n {
					end = j + m
					break
				}
				j += m
				continue
			}
			j++
		}
		if end < 0 {
			i += n
			continue
		}
		for k := i; k < end; k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
		i = end
	}
	return string(b)
}

func run(b []byte, i int) int {
	n := 0
	for i+n < len(b) && b[i+n] == '`' {
		n++
	}
	return n
}

func isBlankLine(b []byte) bool {
	for _, c := range b {
		switch c {
		case '\n':
			return true
		case ' ', '\t', '\r':
		default:
			return false
		}
	}
	return true
}

func blank(l string) string {
	if strings.HasSuffix(l, "\n") {
		return strings.Repeat(" ", len(l)-1) + "\n"
	}
	return strings.Repeat(" ", len(l))
}

// Slug is GitHub's ID for a heading's text: the text as rendered (code
// marks, emphasis stars and link targets dropped), lower-cased, with every
// character that is not a letter, a mark, a decimal digit, a connector such
// as "_", "-" or a space removed, and spaces turned into "-" (GitHub's
// [^\p{Word}\- ] rule).
func Slug(heading string) string {
	heading = inline.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Pc, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Anchors returns the IDs GitHub gives the headings of a Markdown page; a
// repeated ID gets "-1", "-2", … as on GitHub. Headings in code blocks are
// not headings. IDs given by HTML (id="…", name="…") count too.
func Anchors(md []byte) map[string]bool {
	ids := map[string]bool{}
	seen := map[string]int{}
	for _, l := range strings.Split(blankFences(string(md)), "\n") {
		m := atx.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		title := closing.ReplaceAllString(m[2], "")
		if strings.Trim(title, "#") == "" {
			title = ""
		}
		id := Slug(strings.ReplaceAll(title, "`", ""))
		if n := seen[id]; n > 0 {
			seen[id]++
			id = fmt.Sprintf("%s-%d", id, n)
		} else {
			seen[id] = 1
		}
		ids[id] = true
	}
	for _, m := range htmlID.FindAllStringSubmatch(blankCode(string(md)), -1) {
		ids[m[1]] = true
	}
	return ids
}

var htmlID = regexp.MustCompile(`(?i)<[a-z][^>]*?\b(?:id|name)\s*=\s*"([^"]*)"`)

// Check checks the links of the given pages (paths relative to root, with
// "/" separators) and returns every problem, in page order. A target may
// be a file or a folder under root; a "#anchor" on a Markdown target (or
// alone, for the page itself) must be one of its Anchors.
func Check(root string, pages []string) ([]Problem, error) {
	var problems []Problem
	anchors := map[string]map[string]bool{}
	anchorsOf := func(rel string) (map[string]bool, error) {
		if a, ok := anchors[rel]; ok {
			return a, nil
		}
		md, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		anchors[rel] = Anchors(md)
		return anchors[rel], nil
	}
	for _, page := range pages {
		md, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(page)))
		if err != nil {
			return nil, fmt.Errorf("doccheck: %w", err)
		}
		for _, l := range Links(md) {
			reason, err := check(root, page, l.Target, anchorsOf)
			if err != nil {
				return nil, fmt.Errorf("doccheck: %s:%d: %w", page, l.Line, err)
			}
			if reason != "" {
				problems = append(problems, Problem{File: page, Line: l.Line, Target: l.Target, Reason: reason})
			}
		}
	}
	return problems, nil
}

var scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// check returns why target, written in page, does not resolve ("" if it
// does).
func check(root, page, target string, anchorsOf func(string) (map[string]bool, error)) (string, error) {
	if target == "" {
		return "empty target", nil
	}
	if scheme.MatchString(target) || strings.HasPrefix(target, "//") {
		return "", nil // absolute: not checked
	}
	file, anchor, hasAnchor := strings.Cut(target, "#")
	if i := strings.IndexByte(file, '?'); i >= 0 {
		file = file[:i]
	}
	rel := page
	if file != "" {
		p, err := url.PathUnescape(file)
		if err != nil {
			return "bad escape: " + err.Error(), nil
		}
		if strings.HasPrefix(p, "/") {
			rel = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "/")
		} else {
			rel = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(page), p)))
		}
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return "outside the repository", nil
		}
		info, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			if notExist(err) {
				return "no such file or folder", nil
			}
			return "", err
		}
		if info.IsDir() {
			if hasAnchor {
				return "an anchor on a folder", nil
			}
			return "", nil
		}
	}
	if !hasAnchor || !strings.EqualFold(filepath.Ext(rel), ".md") {
		return "", nil
	}
	if anchor == "" {
		return "empty anchor", nil
	}
	ids, err := anchorsOf(rel)
	if err != nil {
		return "", err
	}
	if a, err := url.PathUnescape(anchor); err == nil {
		anchor = a
	}
	if !ids[anchor] {
		return fmt.Sprintf("no heading with ID %q in %s", anchor, rel), nil
	}
	return "", nil
}

// notExist reports a target that is not there: a missing file, or a path
// through a file ("a/file.md/x").
func notExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// Pages returns README.md (when root has one) and every .md file under
// root's docs/ folder, as paths relative to root with "/" separators,
// sorted.
func Pages(root string) ([]string, error) {
	var pages []string
	if _, err := os.Stat(filepath.Join(root, "README.md")); err == nil {
		pages = append(pages, "README.md")
	}
	docs := filepath.Join(root, "docs")
	if _, err := os.Stat(docs); err != nil {
		return pages, nil
	}
	err := filepath.WalkDir(docs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".md") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			pages = append(pages, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("doccheck: %w", err)
	}
	sort.Strings(pages)
	return pages, nil
}
