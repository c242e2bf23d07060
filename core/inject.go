package core

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/mikros-go/mikros/core/definition"
)

// The struct tag that marks the fields core fills in on the service:
//
//	Logger   *zap.Logger `mikros:"feature"`   // a value a feature provides
//	Settings Settings    `mikros:"settings"`  // the [service] table
//	Env      Env         `mikros:"env"`       // filled by the feature named env (a [Filler])
const tagName = "mikros"

// fillField is a field tagged with the name of a feature that fills it.
type fillField struct {
	field  reflect.StructField
	filler Filler
	name   string
}

// serviceFields finds the tagged fields of the service, reporting fields
// that cannot be filled. fillers are the linked features by name: the
// enabled ones that fill fields, nil for the others.
func serviceFields(svc any, fillers map[string]Filler) (settings reflect.Value, inject []reflect.StructField, fill []fillField, v reflect.Value, problems definition.Problems) {
	rv := reflect.ValueOf(svc)
	if rv.Kind() == reflect.Struct {
		for i := range rv.NumField() {
			if _, ok := rv.Type().Field(i).Tag.Lookup(tagName); ok {
				return reflect.Value{}, nil, nil, reflect.Value{}, definition.Problems{{
					Path:    "service " + rv.Type().String(),
					Message: "has fields tagged mikros but was passed by value; pass a pointer (&" + rv.Type().Name() + "{}) so they can be set",
				}}
			}
		}
	}
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, nil, nil, reflect.Value{}, nil
	}
	v = rv.Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup(tagName)
		if !ok {
			continue
		}
		place := fmt.Sprintf("service field %s.%s", t.Name(), f.Name)
		if !f.IsExported() {
			problems = append(problems, definition.Problem{Path: place, Message: "tagged " + tagName + ":" + fmt.Sprintf("%q", tag) + " but not exported"})
			continue
		}
		switch tag {
		case "settings":
			if settings.IsValid() {
				problems = append(problems, definition.Problem{Path: place, Message: "a second field tagged mikros:\"settings\""})
				continue
			}
			settings = v.Field(i)
		case "feature":
			inject = append(inject, f)
		default:
			filler, linked := fillers[tag]
			switch {
			case filler != nil:
				fill = append(fill, fillField{field: f, filler: filler, name: tag})
			case linked:
				problems = append(problems, definition.Problem{Path: place, Message: fmt.Sprintf("tagged mikros:%q, but the %s feature is not enabled or fills no field; enable it with [features.%s]", tag, tag, tag)})
			default:
				problems = append(problems, definition.Problem{Path: place, Message: fmt.Sprintf("unknown tag mikros:%q (use \"feature\", \"settings\" or the name of a feature that fills fields)", tag)})
			}
		}
	}
	return settings, inject, fill, v, problems
}

// fillFields hands each field tagged with a feature's name to the feature.
func fillFields(def *definition.Definition, v reflect.Value, fields []fillField) definition.Problems {
	var problems definition.Problems
	for _, f := range fields {
		if err := f.filler.Fill(v.FieldByIndex(f.field.Index).Addr().Interface()); err != nil {
			problems = append(problems, asProblems(err, def, "features."+f.name)...)
		}
	}
	return problems
}

// validator is implemented by settings structs that check themselves.
type validator interface{ Validate() error }

// decodeSettings decodes [service] into the field tagged settings and runs
// its Validate method.
func decodeSettings(def *definition.Definition, field reflect.Value) definition.Problems {
	if !field.IsValid() {
		if def.Service.Present() {
			return definition.Problems{def.Problem("service", "the service has no field tagged mikros:\"settings\" to hold this table")}
		}
		return nil
	}
	target := field.Addr().Interface()
	if err := def.Service.Decode(target); err != nil {
		return asProblems(err, def, "service")
	}
	v, ok := target.(validator)
	if !ok && field.Kind() == reflect.Pointer && !field.IsNil() {
		v, ok = field.Interface().(validator)
	}
	if ok {
		if err := v.Validate(); err != nil {
			return asProblems(err, def, "service")
		}
	}
	return nil
}

// injectFeatures sets every field tagged feature to the one provided value
// of its type.
func injectFeatures(v reflect.Value, fields []reflect.StructField, provided []providedValue) definition.Problems {
	var problems definition.Problems
	for _, f := range fields {
		var from []string
		var value reflect.Value
		for _, p := range provided {
			pv := reflect.ValueOf(p.value)
			if pv.IsValid() && pv.Type().AssignableTo(f.Type) {
				from = append(from, p.from)
				value = pv
			}
		}
		place := fmt.Sprintf("service field %s.%s", v.Type().Name(), f.Name)
		switch len(from) {
		case 0:
			problems = append(problems, definition.Problem{Path: place, Message: fmt.Sprintf("no enabled feature provides a %s", f.Type)})
		case 1:
			v.FieldByIndex(f.Index).Set(value)
		default:
			problems = append(problems, definition.Problem{Path: place, Message: fmt.Sprintf("a %s is provided by %s; use a more specific type", f.Type, strings.Join(from, " and "))})
		}
	}
	return problems
}

type providedValue struct {
	from  string
	value any
}

// asProblems turns an owner's error into problems: kept as they are when
// they already are, otherwise placed at the owner's table.
func asProblems(err error, def *definition.Definition, path string) definition.Problems {
	var ps definition.Problems
	if errors.As(err, &ps) {
		return ps
	}
	var p definition.Problem
	if errors.As(err, &p) {
		return definition.Problems{p}
	}
	return definition.Problems{def.Problem(path, "%v", err)}
}
