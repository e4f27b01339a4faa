// Goal: keep cluster tests from competing for the two cores. Method: the whole assembly runs one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
