"""How the benchmarks time a call: CUDA events around each call after a
warm-up, the median over the repetitions, in milliseconds; or, for calls
shorter than the host's cost of launching them, a CUDA graph of many calls;
and the copy ceiling the bandwidth-bound rows are compared with."""

import statistics

import torch


def median_ms(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def graph_ms(fn, calls, reps, warmup):
    """Median ms of one call of `fn`, from a CUDA graph of `calls` calls (the
    host's launch cost is not timed). `fn` must launch on the current
    stream."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(warmup):
            fn()
    torch.cuda.current_stream().wait_stream(stream)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(calls):
            fn()
    return median_ms(graph.replay, reps, warmup) / calls


def graph_or_events_ms(fn, calls, reps, warmup, report=print):
    """(ms, how): graph_ms of `fn` and "", or, when `fn` cannot be captured
    in a CUDA graph, median_ms and " (events)" after passing the reason to
    `report`."""
    try:
        return graph_ms(fn, calls, reps, warmup), ""
    except RuntimeError as error:
        report(f"not capturable, timed with events: {str(error).splitlines()[0][:160]}")
        torch.cuda.synchronize()
        return median_ms(fn, reps, warmup), " (events)"


def copy_ceiling(reps, warmup):
    """TB/s of a 2 GiB device-to-device copy (bytes read plus written)."""
    x = torch.randn(1 << 30, device="cuda", dtype=torch.bfloat16)
    y = torch.empty_like(x)
    ms = median_ms(lambda: y.copy_(x), reps, warmup)
    del x, y
    return 2 * (1 << 30) * 2 / ms / 1e9
