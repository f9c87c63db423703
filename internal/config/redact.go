package config

import (
	"bytes"
	"fmt"
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"
)

// Redacted returns the configuration as YAML with the file's key names, in
// the order of the Config type, with every non-empty secret replaced by
// "[redacted]" and credentials in nats.url hidden. Durations print as text
// (15m0s), so the output loads again with Load.
func (c *Config) Redacted() ([]byte, error) {
	cp := *c // secrets are strings in value sections: the copy never touches c
	eachSecret(reflect.ValueOf(&cp).Elem(), "", func(_ string, val, _ reflect.Value) {
		if val.String() != "" {
			val.SetString(redactedMark)
		}
	})
	cp.NATS.URL = redactURL(cp.NATS.URL)

	n, err := encode(reflect.ValueOf(cp))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// encode builds the YAML node of v, naming keys by their mapstructure tags.
func encode(v reflect.Value) (*yaml.Node, error) {
	t := v.Type()
	switch {
	case t == durationType:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: time.Duration(v.Int()).String()}, nil
	case isSection(t):
		n := &yaml.Node{Kind: yaml.MappingNode}
		for i := range t.NumField() {
			child, err := encode(v.Field(i))
			if err != nil {
				return nil, err
			}
			if isRemain(t.Field(i)) { // its keys are the section's own
				if child.Kind == yaml.MappingNode {
					n.Content = append(n.Content, child.Content...)
				}
				continue
			}
			key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: keyName(t.Field(i))}
			n.Content = append(n.Content, key, child)
		}
		return n, nil
	case t.Kind() == reflect.Slice && isSection(t.Elem()):
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range v.Len() {
			child, err := encode(v.Index(i))
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, child)
		}
		return n, nil
	case t.Kind() == reflect.Slice && v.IsNil():
		return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}, nil
	case t.Kind() == reflect.Map && v.IsNil():
		return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}, nil
	}
	var n yaml.Node
	if err := n.Encode(v.Interface()); err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	flowLists(&n)
	return &n, nil
}

// flowLists puts short lists of plain values on one line, where lists of
// names read best; long ones keep one item a line.
func flowLists(n *yaml.Node) {
	flat, width := n.Kind == yaml.SequenceNode, 0
	for _, child := range n.Content {
		flowLists(child)
		flat = flat && child.Kind == yaml.ScalarNode
		width += len(child.Value) + 2
	}
	if flat && width <= 72 {
		n.Style = yaml.FlowStyle
	}
}
