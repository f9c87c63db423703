package config

import (
	"net/url"
	"os"
	"reflect"
	"strings"
)

// maxSecretLen bounds a secret read from a file; tokens and keys are far shorter.
const maxSecretLen = 4096

// redactedMark replaces every non-empty secret in Redacted's output.
const redactedMark = "[redacted]"

// eachSecret calls fn for every field tagged secret:"true" in the section v
// (addressable), with its key and its <key>_file sibling field (the zero
// Value if the section has none; a test makes sure every secret has one).
func eachSecret(v reflect.Value, prefix string, fn func(key string, val, file reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key := prefix + keyName(f)
		if isSection(f.Type) {
			eachSecret(v.Field(i), key+".", fn)
			continue
		}
		if f.Tag.Get("secret") != "true" {
			continue
		}
		var file reflect.Value
		if ff, ok := field(t, keyName(f)+"_file"); ok {
			file = v.FieldByIndex(ff.Index)
		}
		fn(key, v.Field(i), file)
	}
}

// resolveSecrets reads each secret given as <key>_file into its field. The
// _file field keeps the path, so Redacted shows where the secret came from.
func (c *Config) resolveSecrets() error {
	var p problems
	eachSecret(reflect.ValueOf(c).Elem(), "", func(key string, val, file reflect.Value) {
		if !file.IsValid() || file.String() == "" {
			return
		}
		path := file.String()
		if val.String() != "" {
			p.add(key, "set together with %s_file; use one of them", key)
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			p.add(key+"_file", "read secret: %w", err)
			return
		}
		secret := strings.TrimRight(string(data), "\r\n")
		if secret == "" {
			p.add(key+"_file", "secret file %s is empty", path)
			return
		}
		// A token is one line: a file of many (/etc/shadow) is not a
		// secret file, and its content would be sent as a token.
		if strings.ContainsAny(secret, "\r\n") || len(secret) > maxSecretLen {
			p.add(key+"_file", "%s is not a secret file: it must hold the secret alone, on one line of at most %d bytes", path, maxSecretLen)
			return
		}
		val.SetString(secret)
	})
	return p.err()
}

// redactURL hides the user information (a password or token) of a URL list
// like NATS takes: "nats://a:4222,nats://token@b:4222".
func redactURL(s string) string {
	parts := strings.Split(s, ",")
	for i, part := range parts {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil {
			if strings.Contains(part, "@") {
				parts[i] = redactedMark
			}
			continue
		}
		if u.User != nil {
			u.User = url.User("REDACTED")
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
