module healthpredict.local/pause

go 1.22
