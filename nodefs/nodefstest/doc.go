// Package nodefstest makes the hostile files that nodefs must refuse
// (a FIFO, a device, a 2 GB sparse file) and checks that reading one ends
// at once and in bounded memory. It is used by the tests of every package
// that reads node files.
package nodefstest
