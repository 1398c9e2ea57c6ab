module jsonmux/interop

go 1.19
