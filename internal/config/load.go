package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// Load returns the effective configuration: the defaults, then the YAML file
// at path (none when path is ""), then POOLVISOR_* environment variables, then
// secrets read from *_file keys and derived defaults. It fails when a key is
// unknown, a value has the wrong type or Validate finds a problem; the error
// lists every problem found in that stage, each naming its key.
//
// A key's environment variable is POOLVISOR_ and the key path in upper case
// with "_" for "." (POOLVISOR_SUPERVISOR_URL). Lists take comma-separated
// values; free-form maps, rbac.bindings and phpfpm.instances take YAML, like
// POOLVISOR_CHANNELS='{C0123: web-01}'. A variable that is set but empty sets
// the key to its empty value. The security keys (local.*, rbac.*,
// approvals.*, policy.*, audit.*, supervisor.check, fleet.hub_public_key,
// fleet.agent_keys) may not come from the environment: a variable for one
// is an error.
func Load(path string) (*Config, error) {
	if err := securityEnv(); err != nil {
		return nil, err
	}
	file := map[string]any{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if file, err = parseFile(data); err != nil {
			return nil, err
		}
	}

	// Without a host name, host stays empty and Validate asks for it.
	hostname, _ := os.Hostname()
	v, err := newViper(defaults(hostname))
	if err != nil {
		return nil, err
	}
	if err := v.MergeConfigMap(file); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}

	var c Config
	err = v.Unmarshal(&c, func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = mapstructure.DecodeHookFuncType(envHook)
		dc.WeaklyTypedInput = false
		dc.ErrorUnused = true
	})
	if err != nil {
		return nil, decodeErrors(err)
	}

	secretErr := errors.Join(c.resolveSecrets(), c.PHPFPM.instancesEnv())
	c.PHPFPM.fillInstances()
	if c.DefaultHost == "" {
		c.DefaultHost = c.Host
	}
	if err := errors.Join(secretErr, c.Validate()); err != nil {
		return nil, err
	}
	return &c, nil
}

// newViper returns a viper instance that holds def as its defaults and reads
// every key's environment variable.
func newViper(def Config) (*viper.Viper, error) {
	v := viper.New()
	v.AllowEmptyEnv(true)
	dv := reflect.ValueOf(def)
	for _, l := range leaves() {
		v.SetDefault(l.key, dv.FieldByIndex(l.index).Interface())
		if IsSecurityKey(l.key) {
			continue // from the file only (securityEnv refuses the variable)
		}
		if err := v.BindEnv(l.key, envName(l.key)); err != nil {
			return nil, fmt.Errorf("config: bind %s: %w", envName(l.key), err)
		}
	}
	return v, nil
}

// envHook converts the text of an environment variable to its field's type.
// Values from the file arrive already converted by parseFile.
func envHook(_, to reflect.Type, data any) (any, error) {
	s, ok := data.(string)
	if !ok || to.Kind() == reflect.String {
		return data, nil
	}
	if to.Kind() != reflect.Map && !(to.Kind() == reflect.Slice && isSection(to.Elem())) {
		return parseScalar(to, s)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		return nil, fmt.Errorf("expected YAML: %w", err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	var p problems
	out := convert(&p, "", to, root)
	return out, p.err()
}

// decodeErrors turns mapstructure's errors into KeyErrors. Only values from
// the environment can fail here, so each error names its variable.
func decodeErrors(err error) error {
	var out []error
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case *mapstructure.DecodeError:
			src := ""
			if _, ok := os.LookupEnv(envName(e.Name())); ok {
				src = "from " + envName(e.Name())
			}
			inner := []error{e.Unwrap()}
			if j, ok := e.Unwrap().(interface{ Unwrap() []error }); ok {
				inner = j.Unwrap()
			}
			for _, ie := range inner {
				if ke, ok := ie.(*KeyError); ok {
					out = append(out, &KeyError{Key: childKey(e.Name(), ke.Key), Source: src, Err: ke.Err})
				} else {
					out = append(out, &KeyError{Key: e.Name(), Source: src, Err: ie})
				}
			}
		case interface{ Unwrap() []error }:
			for _, ie := range e.Unwrap() {
				walk(ie)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		default:
			out = append(out, fmt.Errorf("config: %w", err))
		}
	}
	walk(err)
	return errors.Join(out...)
}
