using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace KvRaft.Transport;

/// <summary>
/// The certificates of one TLS port, loaded from <see cref="TlsFiles"/> and loaded again when a file's time
/// changes (looked at, at most once a second, as connections open). A reload that fails keeps the previous
/// certificates and is logged: a half-written file never takes a port down.
/// </summary>
internal sealed class TlsCredentials
{
    private readonly long _recheckMilliseconds;
    private readonly TlsFiles _files;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private TlsCertificates _current; // replaced whole on reload; connections keep the one they started with
    private DateTime[] _stamps;
    private long _nextCheckTicks;

    /// <param name="files">The PEM files.</param>
    /// <param name="logger">Where reloads (and failed reloads) are logged.</param>
    /// <param name="recheckMilliseconds">Least time between two looks at the files' times.</param>
    public TlsCredentials(TlsFiles files, ILogger logger, long recheckMilliseconds = 1000)
    {
        _recheckMilliseconds = recheckMilliseconds;
        _files = files;
        _logger = logger;
        _stamps = Stamps(files);
        _current = Load(files);
        _nextCheckTicks = Environment.TickCount64 + _recheckMilliseconds;
    }

    /// <summary>The certificates in force, reloaded first when a file changed since the last look.</summary>
    public TlsCertificates Current
    {
        get
        {
            if (Environment.TickCount64 >= Volatile.Read(ref _nextCheckTicks))
            {
                Recheck();
            }
            return Volatile.Read(ref _current);
        }
    }

    /// <summary>Loads every file of <paramref name="files"/>; throws <see cref="FormatException"/> naming the one that fails.</summary>
    public static TlsCertificates Load(TlsFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var certificate = LoadCertificate(files.CertificateFile, files.KeyFile);
        var trusted = files.TrustedCaFile is null ? null : LoadAuthorities(files.TrustedCaFile);
        return new TlsCertificates(certificate, trusted);
    }

    private void Recheck()
    {
        lock (_lock)
        {
            if (Environment.TickCount64 < _nextCheckTicks)
            {
                return;
            }
            Volatile.Write(ref _nextCheckTicks, Environment.TickCount64 + _recheckMilliseconds);
            var stamps = Stamps(_files);
            if (stamps.SequenceEqual(_stamps))
            {
                return;
            }
            try
            {
                Volatile.Write(ref _current, Load(_files));
                _stamps = stamps;
                TransportLog.TlsReloaded(_logger, _files.CertificateFile);
            }
            catch (FormatException error)
            {
                TransportLog.TlsReloadFailed(_logger, error.Message);
            }
        }
    }

    private static DateTime[] Stamps(TlsFiles files) =>
        [File.GetLastWriteTimeUtc(files.CertificateFile), File.GetLastWriteTimeUtc(files.KeyFile),
            files.TrustedCaFile is null ? default : File.GetLastWriteTimeUtc(files.TrustedCaFile)];

    private static X509Certificate2 LoadCertificate(string certificateFile, string keyFile)
    {
        try
        {
            using var fromPem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            if (fromPem.NotAfter < DateTime.Now || fromPem.NotBefore > DateTime.Now)
            {
                throw new FormatException($"the certificate {certificateFile} is valid only from {fromPem.NotBefore:u} to {fromPem.NotAfter:u}");
            }
            // A key read from PEM is ephemeral; some platforms' TLS needs it in a key container: a PKCS#12 round trip gives one.
            return X509CertificateLoader.LoadPkcs12(fromPem.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new FormatException($"cannot load the certificate {certificateFile} with the key {keyFile}: {error.Message}", error);
        }
    }

    private static X509Certificate2Collection LoadAuthorities(string file)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(file);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new FormatException($"cannot load the trusted CA file {file}: {error.Message}", error);
        }
        if (authorities.Count == 0)
        {
            throw new FormatException($"the trusted CA file {file} holds no certificate");
        }
        return authorities;
    }
}

/// <summary>One loaded set: this end's certificate with its key, and the authorities the other end must chain to (null: none asked for).</summary>
internal sealed record TlsCertificates(X509Certificate2 Certificate, X509Certificate2Collection? TrustedCa);
