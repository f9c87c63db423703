package config

import (
	"errors"
	"fmt"
)

// ErrUnknownKey is the reason of a KeyError for a key that poolvisor does
// not know, usually a misspelling.
var ErrUnknownKey = errors.New("unknown key")

// KeyError is a problem with the value of one config key. Load and Validate
// return one KeyError per problem, joined with errors.Join.
type KeyError struct {
	Key    string // dotted path, like "rbac.bindings[0].role"
	Source string // where the value came from, like "line 12" or "POOLVISOR_LISTEN"; may be empty
	Err    error
}

func (e *KeyError) Error() string {
	var msg string
	if errors.Is(e.Err, ErrUnknownKey) {
		msg = fmt.Sprintf("config: unknown key %q", e.Key)
	} else {
		msg = fmt.Sprintf("config: %s: %v", e.Key, e.Err)
	}
	if e.Source != "" {
		msg += " (" + e.Source + ")"
	}
	return msg
}

func (e *KeyError) Unwrap() error { return e.Err }

// problems collects KeyErrors for one pass over the config.
type problems []error

func (p *problems) add(key string, format string, args ...any) {
	*p = append(*p, &KeyError{Key: key, Err: fmt.Errorf(format, args...)})
}

func (p *problems) addFrom(key, source, format string, args ...any) {
	*p = append(*p, &KeyError{Key: key, Source: source, Err: fmt.Errorf(format, args...)})
}

func (p *problems) err() error { return errors.Join(*p...) }

// childKey joins a parent key and a child name or list index.
func childKey(parent, child string) string {
	switch {
	case parent == "":
		return child
	case child == "" || child[0] == '[':
		return parent + child
	default:
		return parent + "." + child
	}
}
