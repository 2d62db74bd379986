// Reads JSON documents, one per line, and writes each as sigs.k8s.io/yaml writes it,
// followed by a NUL byte (or, when the library refuses it, "error: …" and a NUL byte).
package main

import (
	"bufio"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		text, err := yaml.JSONToYAML(in.Bytes())
		if err != nil {
			fmt.Fprintf(out, "error: %v", err)
		} else {
			out.Write(text)
		}
		out.WriteByte(0)
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
