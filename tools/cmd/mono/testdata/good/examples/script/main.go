// Command script is a fixture example.
package main

import (
	"fmt"

	"github.com/mikros-go/mikros/kinds/script"
)

func main() { fmt.Println(script.Banner("example")) }
