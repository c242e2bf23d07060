module example.com/hidden
