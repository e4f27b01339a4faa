using System.Diagnostics.Metrics;
using System.Text;

namespace KvRaft.Server.Metrics;

/// <summary>
/// Listens to the instruments of one <see cref="Meter"/> instance, and no other (several nodes in one process, as in
/// tests and in-process clusters, each keep their own figures; a listener keyed by meter name would merge them),
/// and writes them as Prometheus text.
/// </summary>
internal sealed class MetricsCollector : IDisposable
{
    private readonly MeterListener _listener;
    private readonly List<InstrumentState> _instruments = new(); // in publication order; guarded by itself

    public MetricsCollector(Meter meter)
    {
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (!ReferenceEquals(instrument.Meter, meter))
                {
                    return;
                }

                var state = new InstrumentState(instrument);
                lock (_instruments)
                {
                    _instruments.Add(state);
                }

                listener.EnableMeasurementEvents(instrument, state);
            },
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Polls the observable instruments, then writes every instrument (the body of GET /metrics).</summary>
    public string Scrape()
    {
        var text = new StringBuilder(16 * 1024);
        lock (_instruments) // one scrape at a time: observable callbacks then see consistent sequencing
        {
            foreach (var instrument in _instruments)
            {
                instrument.BeginPoll();
            }
            _listener.RecordObservableInstruments();
            foreach (var instrument in _instruments)
            {
                instrument.WriteTo(text);
            }
        }
        return text.ToString();
    }

    /// <summary>Drops the series of <paramref name="instrument"/> labelled <paramref name="key"/>=<paramref name="value"/>.</summary>
    public void Forget(Instrument instrument, string key, string value)
    {
        lock (_instruments)
        {
            foreach (var state in _instruments)
            {
                if (state.Of(instrument))
                {
                    state.Forget(key, value);
                }
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
