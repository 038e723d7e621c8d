module healthpredict.local/echo

go 1.22
