// A program with no dependencies, built static (CGO_ENABLED=0) so that it
// runs on an empty base image.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	name := "world"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	fmt.Printf("hello %s from go on %s/%s\n", name, runtime.GOOS, runtime.GOARCH)
}
