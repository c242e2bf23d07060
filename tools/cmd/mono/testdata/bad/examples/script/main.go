// Command script is a fixture example.
package main

func main() {}
