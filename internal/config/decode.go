package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// parseFile reads a YAML document and checks it key by key against Config.
// Sections become map[string]any; every other value already has its field's
// Go type, so that viper treats free-form maps as single values (it neither
// merges them with the defaults nor lower-cases their keys).
func parseFile(data []byte) (map[string]any, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]any{}, nil
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("config: the file must hold exactly one YAML document")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if isNull(root) {
		return map[string]any{}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config: line %d: the top level must be a mapping of keys", root.Line)
	}
	var p problems
	v := convert(&p, "", configType, root)
	if err := p.err(); err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// convert checks node against the Go type t, recording problems under key,
// and returns the value viper should hold for it (nil after a problem).
func convert(p *problems, key string, t reflect.Type, n *yaml.Node) any {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	fail := func(format string, args ...any) any {
		*p = append(*p, &KeyError{Key: key, Source: line(n), Err: fmt.Errorf(format, args...)})
		return nil
	}
	if isNull(n) {
		return zero(t)
	}
	switch {
	case isSection(t):
		if n.Kind != yaml.MappingNode {
			return fail("expected a mapping of keys, got %s", kindName(n))
		}
		out := map[string]any{}
		eachPair(p, key, n, func(name string, k, v *yaml.Node) {
			f, ok := field(t, name)
			if !ok {
				*p = append(*p, &KeyError{Key: childKey(key, name), Source: line(k), Err: ErrUnknownKey})
				return
			}
			if val := convert(p, childKey(key, name), f.Type, v); val != nil {
				out[name] = val
			}
		})
		return out
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return fail("expected a mapping, got %s", kindName(n))
		}
		if isSection(t.Elem()) { // a map of sections (rbac.people): decoded like a section later
			out := map[string]any{}
			eachPair(p, key, n, func(name string, _, v *yaml.Node) {
				if val := convert(p, childKey(key, name), t.Elem(), v); val != nil {
					out[name] = val
				}
			})
			return out
		}
		out := reflect.MakeMap(t)
		eachPair(p, key, n, func(name string, _, v *yaml.Node) {
			if val := convert(p, childKey(key, name), t.Elem(), v); val != nil {
				out.SetMapIndex(reflect.ValueOf(name), reflect.ValueOf(val))
			}
		})
		return out.Interface()
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		if isSection(t.Elem()) {
			out := []any{}
			for i, item := range n.Content {
				out = append(out, convert(p, childKey(key, "["+strconv.Itoa(i)+"]"), t.Elem(), item))
			}
			return out
		}
		out := reflect.MakeSlice(t, 0, len(n.Content))
		for i, item := range n.Content {
			if val := convert(p, childKey(key, "["+strconv.Itoa(i)+"]"), t.Elem(), item); val != nil {
				out = reflect.Append(out, reflect.ValueOf(val))
			}
		}
		return out.Interface()
	case n.Kind != yaml.ScalarNode:
		return fail("expected %s, got %s", typeName(t), kindName(n))
	}
	if t.Kind() == reflect.Slice && isSection(t.Elem()) {
		return fail("expected a list, got %s", kindName(n))
	}
	v, err := parseScalar(t, n.Value)
	if err != nil {
		return fail("%w", err)
	}
	return v
}

// eachPair calls fn for each key of a mapping node, refusing duplicate and
// non-scalar keys.
func eachPair(p *problems, key string, n *yaml.Node, fn func(name string, k, v *yaml.Node)) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			*p = append(*p, &KeyError{Key: key, Source: line(k), Err: errors.New("keys must be plain strings")})
			continue
		}
		if seen[k.Value] {
			*p = append(*p, &KeyError{Key: childKey(key, k.Value), Source: line(k), Err: errors.New("set twice")})
			continue
		}
		seen[k.Value] = true
		fn(k.Value, k, v)
	}
}

// parseScalar converts the text of a YAML scalar or an environment variable
// to a value of type t. A list given as text is a comma-separated list.
func parseScalar(t reflect.Type, s string) (any, error) {
	switch {
	case t == durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("invalid duration %q: use a number with a unit, like 15m or 2s", s)
		}
		return d, nil
	case t.Kind() == reflect.String:
		return s, nil
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("invalid boolean %q: use true or false", s)
		}
		return b, nil
	case t.Kind() == reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("invalid number %q: use a whole number", s)
		}
		return n, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		out := []string{}
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected %s, got a single value", typeName(t))
}

// zero is the value of a key set to null: explicitly empty.
func zero(t reflect.Type) any {
	switch {
	case isSection(t):
		return map[string]any{}
	case t.Kind() == reflect.Map:
		return reflect.MakeMap(t).Interface()
	case t.Kind() == reflect.Slice:
		if isSection(t.Elem()) {
			return []any{}
		}
		return reflect.MakeSlice(t, 0, 0).Interface()
	}
	return reflect.Zero(t).Interface()
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func line(n *yaml.Node) string {
	if n.Line == 0 {
		return ""
	}
	return "line " + strconv.Itoa(n.Line)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.Slice:
		return "a list"
	}
	return "a mapping"
}
