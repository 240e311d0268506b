//! Field-name classification: values under keys whose names denote personal
//! data (names, addresses, birth dates, ...) are personal data even when no
//! value pattern matches. Names are compared as word sequences, so
//! `firstName`, `first_name`, `First-Name` and `FIRSTNAME` are the same,
//! and the enclosing key decides ambiguous words: `name` under `product` is
//! not a person.

/// What a field name says about its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    PersonName,
    PostalAddress,
    BirthDate,
    Email,
    Phone,
    NationalId,
    BankAccount,
    PaymentCard,
    Credential,
    IpAddress,
    /// A custom detector's field hint (index into the custom detectors).
    Custom(u16),
}

/// Weak classes (a bare `name`, `city`) are suppressed in a non-person
/// context; strong ones (`firstName`, `dateOfBirth`) never are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    Weak,
    Strong,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldClass {
    pub kind: FieldKind,
    pub strength: Strength,
}

/// What an enclosing key says about the things beneath it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Person,
    NonPerson,
    Neutral,
}

const MAX_WORDS: usize = 8;
const BUF: usize = 64;

/// A key split into lowercase words, without allocating.
pub struct Words {
    buf: [u8; BUF],
    ends: [u8; MAX_WORDS],
    starts: [u8; MAX_WORDS],
    n: usize,
}

/// `key` with ſ, K, İ and ı written as `s`, `k`, `i`, `i`; `None` if it has none.
fn fold_to_ascii(key: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(key.len());
    let mut changed = false;
    let mut i = 0;
    while i < key.len() {
        let (c, n) = match (key[i], key.get(i + 1), key.get(i + 2)) {
            (0xC5, Some(0xBF), _) => (b's', 2),
            (0xC4, Some(0xB0 | 0xB1), _) => (b'i', 2),
            (0xE2, Some(0x84), Some(0xAA)) => (b'k', 3),
            (c, _, _) => {
                out.push(c);
                i += 1;
                continue;
            }
        };
        out.push(c);
        changed = true;
        i += n;
    }
    changed.then_some(out)
}

impl Words {
    pub fn split(key: &[u8]) -> Words {
        // Letters that Unicode case folding turns into ASCII ones: Go's
        // encoding/json matches `laſtName` (U+017F long s) or a Kelvin sign
        // (U+212A) to the field `lastName`, .NET's and Java's
        // case-insensitive binders take U+0130/U+0131 for `i` (red team: the
        // key was split at them and lost its class)
        if memchr::memchr3(0xC4, 0xC5, 0xE2, key).is_some() {
            if let Some(f) = fold_to_ascii(key) {
                return Self::split_ascii(&f);
            }
        }
        Self::split_ascii(key)
    }

    fn split_ascii(key: &[u8]) -> Words {
        let mut w = Words {
            buf: [0; BUF],
            ends: [0; MAX_WORDS],
            starts: [0; MAX_WORDS],
            n: 0,
        };
        // Keep the tail of very long keys: the last words carry the meaning.
        let key = if key.len() > BUF { &key[key.len() - BUF..] } else { key };
        let mut len = 0usize;
        let mut in_word = false;
        let mut prev: u8 = 0;
        for (i, &c) in key.iter().enumerate() {
            if !c.is_ascii_alphanumeric() {
                in_word = false;
                prev = c;
                continue;
            }
            let next = key.get(i + 1).copied().unwrap_or(0);
            let boundary = !in_word
                || (c.is_ascii_uppercase() && prev.is_ascii_lowercase())
                || (c.is_ascii_uppercase() && prev.is_ascii_uppercase() && next.is_ascii_lowercase())
                || (c.is_ascii_digit() != prev.is_ascii_digit());
            if boundary {
                if w.n == MAX_WORDS {
                    // shift left: keep the last MAX_WORDS words
                    w.starts.copy_within(1.., 0);
                    w.ends.copy_within(1.., 0);
                    w.n -= 1;
                }
                w.starts[w.n] = len as u8;
                w.ends[w.n] = len as u8;
                w.n += 1;
            }
            if len < BUF {
                w.buf[len] = c.to_ascii_lowercase();
                len += 1;
                w.ends[w.n - 1] = len as u8;
            }
            in_word = true;
            prev = c;
        }
        w
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The i-th word from the end (0 = last).
    fn back(&self, i: usize) -> &[u8] {
        if i >= self.n {
            return b"";
        }
        let k = self.n - 1 - i;
        &self.buf[self.starts[k] as usize..self.ends[k] as usize]
    }

    /// All words joined without separators.
    pub fn joined(&self) -> &[u8] {
        if self.n == 0 {
            return b"";
        }
        &self.buf[self.starts[0] as usize..self.ends[self.n - 1] as usize]
    }
}

fn singular(w: &[u8]) -> &[u8] {
    if w.len() > 3 && w.ends_with(b"es") && (w.ends_with(b"sses") || w.ends_with(b"ches")) {
        &w[..w.len() - 2]
    } else if w.len() > 3 && w.ends_with(b"s") && !w.ends_with(b"ss") {
        &w[..w.len() - 1]
    } else {
        w
    }
}

fn person_qualifiers(w: &[u8]) -> bool {
    matches!(
        w,
        b"first"
            | b"last"
            | b"full"
            | b"given"
            | b"family"
            | b"middle"
            | b"maiden"
            | b"sur"
            | b"fore"
            | b"nick"
            | b"customer"
            | b"contact"
            | b"person"
            | b"holder"
            | b"cardholder"
            | b"user"
            | b"patient"
            | b"employee"
            | b"recipient"
            | b"sender"
            | b"owner"
            | b"member"
            | b"guest"
            | b"passenger"
            | b"beneficiary"
            | b"account"
            | b"billing"
            | b"shipping"
            | b"legal"
            | b"real"
            | b"display"
            | b"client"
            | b"applicant"
            | b"student"
            | b"parent"
            | b"child"
            | b"spouse"
            | b"buyer"
            | b"seller"
            | b"payer"
            | b"payee"
            | b"traveler"
            | b"traveller"
            | b"subscriber"
            | b"author"
            | b"driver"
            | b"emergency"
            | b"birth"
            | b"mother"
            | b"father"
    )
}

/// Words before `ip_address` that make it a machine's, not a person's.
fn ip_of_infrastructure(w: &[u8]) -> bool {
    matches!(
        w,
        b"server" | b"host" | b"proxy" | b"gateway" | b"bind" | b"listen" | b"local" | b"node" | b"upstream" | b"dns"
    )
}

fn non_address_qualifiers(w: &[u8]) -> bool {
    matches!(
        w,
        b"ip"
            | b"ipv4"
            | b"ipv6"
            | b"mac"
            | b"remote"
            | b"server"
            | b"host"
            | b"network"
            | b"wallet"
            | b"web"
            | b"contract"
            | b"memory"
            | b"bind"
            | b"listen"
            | b"proxy"
            | b"gateway"
            | b"peer"
            | b"local"
            | b"socket"
            | b"broadcast"
            | b"multicast"
            | b"url"
            | b"uri"
            | b"bitcoin"
            | b"eth"
            | b"ethereum"
            | b"crypto"
            | b"node"
            | b"hardware"
            | b"bluetooth"
            | b"return"
            | b"reply"
            | b"callback"
            | b"endpoint"
            | b"upstream"
            | b"source"
            | b"destination"
            | b"dest"
            | b"target"
            // services' addresses (`REDIS_ADDR`, `KAFKA_BROKER_ADDRESS`,
            // `OTEL_COLLECTOR_ADDR` in a Kubernetes env record)
            | b"redis"
            | b"db"
            | b"database"
            | b"cache"
            | b"memcached"
            | b"kafka"
            | b"broker"
            | b"bootstrap"
            | b"service"
            | b"svc"
            | b"api"
            | b"grpc"
            | b"http"
            | b"https"
            | b"rpc"
            | b"tcp"
            | b"udp"
            | b"smtp"
            | b"mqtt"
            | b"amqp"
            | b"metrics"
            | b"cluster"
            | b"pod"
            | b"etcd"
            | b"consul"
            | b"vault"
            | b"postgres"
            | b"mysql"
            | b"mongo"
            | b"mongodb"
            | b"elasticsearch"
            | b"backend"
            | b"advertise"
            | b"advertised"
            | b"collector"
            | b"otlp"
            | b"statsd"
            | b"ldap"
            | b"nats"
    )
}

fn any(w: &[u8], set: &[&[u8]]) -> bool {
    set.contains(&w)
}

fn strong(kind: FieldKind) -> Option<FieldClass> {
    Some(FieldClass {
        kind,
        strength: Strength::Strong,
    })
}

fn weak(kind: FieldKind) -> Option<FieldClass> {
    Some(FieldClass {
        kind,
        strength: Strength::Weak,
    })
}

/// A word that names how a search index stores a field, not what it holds:
/// Elasticsearch's and OpenSearch's multi-field names (`lastName.keyword`,
/// the default dynamic mapping's, and the usual `.raw`, `.sort`, ...).
fn index_subfield(w: &[u8]) -> bool {
    matches!(
        w,
        b"keyword" | b"raw" | b"exact" | b"sort" | b"sortable" | b"folded" | b"lowercase" | b"ngram" | b"autocomplete"
    )
}

/// Classifies a key by its words. `None` when it says nothing.
pub fn classify(words: &Words) -> Option<FieldClass> {
    use FieldKind::*;
    if words.is_empty() {
        return None;
    }
    // Trailing numbers ("address_line_1", "phone2") don't change the
    // meaning, nor the name of a search index's sub-field of the field
    // (Elasticsearch's multi-fields: "lastName.keyword", "surname.raw").
    let mut skip = 0;
    while skip + 1 < words.len()
        && (words.back(skip).iter().all(u8::is_ascii_digit) || index_subfield(words.back(skip)))
    {
        skip += 1;
    }
    let last = singular(words.back(skip));
    let prev = words.back(skip + 1);
    let prev2 = words.back(skip + 2);
    let single = words.len() - skip == 1;
    match last {
        b"name" => {
            if single {
                weak(PersonName)
            } else if person_qualifiers(prev) {
                strong(PersonName)
            } else {
                None
            }
        }
        b"firstname" | b"lastname" | b"fullname" | b"givenname" | b"familyname" | b"middlename" | b"surname"
        | b"forename" | b"maidenname" | b"nickname" | b"fname" | b"lname" | b"customername" | b"contactname"
        | b"cardholdername" | b"holdername" | b"patientname"
        // de, fr, es, it, nl
        | b"vorname" | b"nachname" | b"familienname" | b"prenom" | b"apellido" | b"apellidos" | b"cognome"
        | b"voornaam" | b"achternaam"
        // glued compounds (lower-cased header names: `x-accountholder`)
        | b"accountholder" | b"accountholdername" | b"cardholder" | b"nameoncard" | b"nameonaccount"
        | b"beneficiaryname" | b"payeename" => strong(PersonName),
        b"nom" | b"nombre" | b"nome" | b"naam" if single => weak(PersonName),
        b"first" | b"last" | b"given" | b"family" | b"middle" if prev == b"name" => strong(PersonName),
        b"address" | b"addr" => {
            if any(prev, &[b"email", b"mail"]) {
                strong(Email)
            } else if any(prev, &[b"ip", b"ipv4", b"ipv6"]) && !ip_of_infrastructure(prev2) {
                strong(IpAddress)
            } else if non_address_qualifiers(prev) {
                None
            } else if single {
                weak(PostalAddress)
            } else {
                strong(PostalAddress)
            }
        }
        b"street" | b"streetname" | b"streetaddress" | b"addressline" | b"housenumber" | b"postcode"
        | b"postalcode" | b"zipcode" | b"zip" | b"plz" | b"apartment" | b"suburb"
        // de, fr, es, it, nl
        | b"anschrift" | b"strasse" | b"hausnummer" | b"postleitzahl" | b"wohnort" | b"rue" | b"calle"
        | b"direccion" | b"indirizzo" | b"straat" | b"huisnummer" | b"woonplaats" => strong(PostalAddress),
        b"adresse" | b"adres" => {
            if single {
                weak(PostalAddress)
            } else {
                strong(PostalAddress)
            }
        }
        b"ort" | b"stadt" | b"ville" | b"ciudad" | b"citta" if single => weak(PostalAddress),
        b"line" if prev == b"address" || prev == b"street" => strong(PostalAddress),
        b"number" if prev == b"house" || prev == b"street" => strong(PostalAddress),
        b"code" if any(prev, &[b"post", b"postal", b"zip"]) => strong(PostalAddress),
        b"city" | b"town" => {
            if single || person_qualifiers(prev) || any(prev, &[b"home", b"residence", b"birth"]) {
                if prev == b"birth" {
                    strong(BirthDate)
                } else {
                    weak(PostalAddress)
                }
            } else {
                None
            }
        }
        b"dob" | b"birthdate" | b"birthday" | b"dateofbirth" | b"geburtsdatum" | b"geburtstag" | b"geboortedatum"
        | b"naissance" | b"nacimiento" | b"nascita" => strong(BirthDate),
        b"birth" if prev == b"of" && prev2 == b"date" => strong(BirthDate),
        b"birth" if prev == b"date" || single => strong(BirthDate),
        b"date" if prev == b"birth" => strong(BirthDate),
        b"email" | b"emailaddress" | b"mail"
            if last != b"mail" || single || prev == b"e" || person_qualifiers(prev) =>
        {
            strong(Email)
        }
        b"phone" | b"phonenumber" | b"mobile" | b"telephone" | b"tel" | b"fax" | b"msisdn" | b"cellphone"
        | b"mobilephone" | b"telefon" | b"handynummer" | b"telefono" | b"telefoon" | b"mobil"
        | b"cellulare" => strong(Phone),
        b"correo" | b"courriel" => strong(Email),
        b"number" | b"no" | b"num"
            if any(
                prev,
                &[b"phone", b"mobile", b"telephone", b"tel", b"fax", b"cell", b"contact"],
            ) =>
        {
            strong(Phone)
        }
        b"ssn"
        | b"nino"
        | b"passport"
        | b"passportnumber"
        | b"taxid"
        | b"tin"
        | b"nif"
        | b"nie"
        | b"dni"
        | b"bsn"
        | b"pesel"
        | b"nir"
        | b"steuerid"
        | b"codicefiscale"
        | b"nationalid"
        | b"socialsecuritynumber"
        | b"idnumber"
        | b"driverslicense"
        | b"driverlicense"
        // glued compounds (lower-cased header names: `x-taxpayerid`)
        | b"taxpayerid"
        | b"taxpayernumber"
        | b"taxnumber"
        | b"taxidnumber"
        | b"passportno"
        | b"nationalidnumber"
        | b"idcardnumber"
        | b"driverslicensenumber"
        | b"driverlicensenumber"
        | b"socialsecurityno"
        | b"steuernummer"
        | b"steueridentifikationsnummer"
        | b"personalausweisnummer"
        | b"reisepassnummer"
        | b"sozialversicherungsnummer"
        | b"rijksregisternummer"
        | b"personnummer"
        | b"henkilotunnus"
        | b"fodselsnummer"
        | b"contribuinte"
        | b"numerocontribuinte"
        | b"partitaiva"
        | b"vatnumber"
        | b"vatid" => strong(NationalId),
        b"number" | b"no" | b"num" | b"id" | b"code"
            if any(
                prev,
                &[
                    b"passport",
                    b"ssn",
                    b"insurance",
                    b"security",
                    b"tax",
                    b"national",
                    b"identity",
                    b"license",
                    b"licence",
                    b"social",
                    b"fiscal",
                    b"personal",
                    b"id",
                    b"taxpayer",
                    b"steuer",
                    b"vat",
                ],
            ) =>
        {
            strong(NationalId)
        }
        b"license" | b"licence" if any(prev, &[b"driver", b"driving", b"drivers"]) => strong(NationalId),
        b"fiscale" if prev == b"codice" => strong(NationalId),
        b"iva" if prev == b"partita" => strong(NationalId),
        b"iban" | b"bic" | b"swift" | b"accountnumber" | b"routingnumber" | b"sortcode" | b"bankaccount"
        | b"bankaccountnumber" | b"kontonummer" => strong(BankAccount),
        b"number" | b"no" | b"num" if any(prev, &[b"account", b"routing", b"bank"]) => strong(BankAccount),
        b"code" if prev == b"sort" => strong(BankAccount),
        b"pan" | b"cvv" | b"cvc" | b"cvv2" | b"cardnumber" | b"creditcard" | b"ccnumber" | b"creditcardnumber"
        | b"debitcardnumber" => strong(PaymentCard),
        b"number" | b"no" | b"num" if any(prev, &[b"card", b"cc"]) => strong(PaymentCard),
        b"card" if prev == b"credit" || prev == b"debit" => strong(PaymentCard),
        b"password" | b"passwd" | b"pwd" | b"passphrase" | b"secret" | b"apikey" | b"pin" | b"otp"
        // glued compounds (lower-cased header names: `x-awssecretaccesskey`)
        | b"accesskeyid" | b"awsaccesskeyid" | b"secretaccesskey" | b"awssecretaccesskey" | b"secretkey"
        | b"privatekey" | b"clientsecret" | b"apisecret" | b"accesstoken" | b"refreshtoken" | b"authtoken"
        | b"apitoken" | b"sessiontoken" | b"idtoken" | b"bearertoken" => {
            strong(Credential)
        }
        b"token"
            if any(
                prev,
                &[
                    b"access", b"refresh", b"api", b"auth", b"id", b"bearer", b"session", b"csrf", b"xsrf",
                ],
            ) =>
        {
            strong(Credential)
        }
        b"key" if any(prev, &[b"api", b"private", b"secret", b"access", b"signing"]) => strong(Credential),
        b"credential" | b"credentials" => strong(Credential),
        // aws_access_key_id, api_key_id, secret_key_id
        b"id" if prev == b"key" && any(prev2, &[b"access", b"api", b"secret"]) => strong(Credential),
        b"ip" | b"ipaddress" | b"ipv4" | b"ipv6" | b"ipaddr"
            if single
                || any(
                    prev,
                    &[
                        b"client", b"user", b"remote", b"source", b"customer", b"visitor", b"origin", b"real",
                        b"forwarded", b"caller", b"device", b"login", b"signup", b"last",
                    ],
                ) =>
        {
            strong(IpAddress)
        }
        // account_holder, cardHolder
        b"holder" if any(prev, &[b"account", b"card", b"policy", b"license", b"licence"]) => strong(PersonName),
        // nameOnCard, name_on_account
        b"card" | b"account" if prev == b"on" && prev2 == b"name" => strong(PersonName),
        _ => None,
    }
}

/// What a key says about its member in an entity-attribute-value record,
/// where one member's value names another's (`{"name":"surname",
/// "value":"Quispe"}`, HubSpot's `{"property":"lastname","value":…}`, FHIR's
/// `{"system":"…/us-ssn","value":…}`, a JSON Patch operation's
/// `{"path":"/surname","value":…}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Its value names a sibling member's value (`name`, `field`, `key`).
    Naming(Strength),
    /// Its value is named by a sibling member's value (`value`, `fieldValue`).
    Named(Strength),
    /// Its value answers a question that a sibling names (FHIR's `answer`,
    /// an HTML form's `input`): named strongly, and by the question's text
    /// (a weakly named `text`) too.
    Answer,
    /// A key of no words (`$`, `_`, `#`), as XML-to-JSON converters write
    /// an element's text (BadgerFish's `$`, xml2js's `_`) or its attributes
    /// (xml2js's `$`): a string is named weakly, an object or array names.
    Holder,
    /// Its value (a field name, a list of them, or an array of names) names
    /// the default fields of a sibling `query` (Elasticsearch's
    /// `default_field`, Solr's `df`/`qf`, Azure's `searchFields`,
    /// Typesense's `query_by`; weak: `fields`, which names them only in a
    /// full-text query's object, `query_string`, `multi_match`, ...).
    DefaultFields(Strength),
    /// A query string ([`Role::DefaultFields`] names its terms' field).
    Query,
}

/// The key's role in an entity-attribute-value record ([`Role`]). The
/// weak roles (`type`, `kind`, `system`, `code`, `url`; `data`, `text`,
/// `content`) take only a strong class from the naming value.
pub fn pair_role(words: &Words) -> Option<Role> {
    use Strength::*;
    let n = words.len();
    if n == 0 {
        return Some(Role::Holder);
    }
    let joined = words.joined();
    // `valueString`, `valueDate` (FHIR's typed values), `value_text`
    if n <= 3 && words.back(n - 1) == b"value" {
        return Some(Role::Named(Strong));
    }
    let last = singular(words.back(0));
    match joined {
        b"name" | b"field" | b"key" | b"k" | b"property" | b"prop" | b"attribute" | b"attributes" | b"attr"
        | b"attrs" | b"label" | b"id" | b"param" | b"parameter" | b"question" | b"path" => Some(Role::Naming(Strong)),
        b"type" | b"kind" | b"system" | b"code" | b"url" => Some(Role::Naming(Weak)),
        b"defaultfield" | b"defaultfields" | b"df" | b"qf" | b"searchfield" | b"searchfields" | b"queryby" => {
            Some(Role::DefaultFields(Strong))
        }
        b"fields" => Some(Role::DefaultFields(Weak)),
        b"query" | b"q" | b"search" => Some(Role::Query),
        b"val" | b"v" => Some(Role::Named(Strong)),
        // (`#text`, `_text`, `__cdata`: converters' element text)
        b"data" | b"text" | b"content" | b"cdata" => Some(Role::Named(Weak)),
        // fieldValue, attributeValue, meta_value, newValue, values; FHIR's
        // answer, an HTML form's input (answers)
        _ if last == b"value" => Some(Role::Named(Strong)),
        _ if n <= 2 && matches!(last, b"answer" | b"input") => Some(Role::Answer),
        // field_data, attributeText, property_content
        _ if n == 2 && matches!(last, b"data" | b"text" | b"content") && naming_head(words.back(1)) => {
            Some(Role::Named(Weak))
        }
        _ if naming_compound(words) => Some(Role::Naming(Strong)),
        _ => None,
    }
}

/// A key that names a field as a thing's name, key, id or code
/// (`field_name`, Magento's `attribute_code`, WordPress's `meta_key`,
/// FHIR's `linkId`, `input_name`), glued or not. (Every key of a document
/// comes here once: literal patterns only, no comparison of two slices.)
fn naming_compound(words: &Words) -> bool {
    let joined = words.joined();
    let head = if words.len() > 1 {
        let last = words.back(0);
        if !naming_tail(last) {
            return false;
        }
        &joined[..joined.len() - last.len()]
    } else {
        // glued: `attributecode`, `linkid`, `metakey`
        match joined.last() {
            Some(b'e' | b'y' | b'd' | b'l' | b'f' | b'g' | b'r') if joined.len() > 5 => {}
            _ => return false,
        }
        match [2, 3, 4, 5, 10]
            .into_iter()
            .find(|&k| joined.len() > k && naming_tail(&joined[joined.len() - k..]))
        {
            Some(k) => &joined[..joined.len() - k],
            None => return false,
        }
    };
    naming_head(head)
}

/// What a compound naming key starts with (`field`, `attribute`, `meta`).
fn naming_head(head: &[u8]) -> bool {
    matches!(
        head,
        b"field"
            | b"formfield"
            | b"customfield"
            | b"property"
            | b"prop"
            | b"attribute"
            | b"attr"
            | b"param"
            | b"parameter"
            | b"meta"
            | b"metafield"
            | b"question"
            | b"link"
            | b"input"
            | b"key"
            | b"option"
            | b"setting"
            | b"variable"
            | b"var"
    )
}

fn naming_tail(w: &[u8]) -> bool {
    matches!(
        w,
        b"name" | b"key" | b"id" | b"code" | b"label" | b"ref" | b"slug" | b"identifier"
    )
}

/// The longest naming value read.
const MAX_NAMING_VALUE: usize = 160;

/// The class a naming member's value ([`Role::Naming`]) gives the value it
/// names, read as a key would be by `classify`:
/// - a path or URL (no white space) by its last segment that is not an
///   index (`/addresses/0/street`, `…/us-ssn`, `…/patient-mothersMaidenName`),
///   else by that segment under the one before it (`/name/0/family`,
///   `name[0].given`);
/// - a label or question by its clauses, the first that names a field
///   (`Surname (required)`, `Last name - required`, `What is your date of
///   birth?`): a clause of ten words at most, read by its last words as a
///   key is; a field word after `by`, `via` (`sent by e-mail`) names a
///   channel, not the value.
///
/// `None` for a value too long to be a field's name. Bounded: 160 bytes,
/// four clauses.
pub fn naming_value_class(value: &[u8], classify: &mut dyn FnMut(&Words) -> Option<FieldClass>) -> Option<FieldClass> {
    if value.is_empty() || value.len() > MAX_NAMING_VALUE {
        return None;
    }
    if value.iter().any(u8::is_ascii_whitespace) {
        label_class(value, classify)
    } else {
        path_class(value, classify)
    }
}

fn is_index(seg: &[u8]) -> bool {
    seg.is_empty() || seg == b"-" || seg.iter().all(u8::is_ascii_digit)
}

fn path_class(v: &[u8], classify: &mut dyn FnMut(&Words) -> Option<FieldClass>) -> Option<FieldClass> {
    // the last segment that is not an index (`-`: JSON Patch's end)
    let last = v
        .rsplit(|&c| c == b'/' || c == b'#')
        .find(|s| !is_index(s))
        .unwrap_or(v);
    if last.len() <= 64 {
        let w = Words::split(last);
        if !w.is_empty() && w.len() <= 5 {
            if let Some(c) = classify(&w) {
                return Some(c);
            }
        }
    }
    // a sub-field under its field: `/name/0/family`, `name[0].given`
    let mut segs = v
        .rsplit(|&c| matches!(c, b'/' | b'#' | b'.' | b'[' | b']'))
        .filter(|s| !is_index(s));
    let (b, a) = (segs.next()?, segs.next()?);
    let len = a.len() + 1 + b.len();
    if len > 64 {
        return None;
    }
    let mut buf = [b'.'; 64];
    buf[..a.len()].copy_from_slice(a);
    buf[a.len() + 1..len].copy_from_slice(b);
    let w = Words::split(&buf[..len]);
    (w.len() <= 5).then(|| classify(&w)).flatten()
}

/// Where a label's clauses break: brackets, `:`, `;`, `,`, `|`, `?`, `!`,
/// `*`, `/`, and a dash after white space (`Last name - required`; en and
/// em dashes too).
fn clause_break(v: &[u8], i: usize) -> bool {
    match v[i] {
        b'(' | b')' | b'[' | b']' | b'{' | b'}' | b':' | b';' | b',' | b'|' | b'?' | b'!' | b'*' | b'/' => true,
        b'-' => i > 0 && v[i - 1].is_ascii_whitespace(),
        0xE2 => v.get(i + 1) == Some(&0x80) && matches!(v.get(i + 2), Some(0x93 | 0x94)),
        _ => false,
    }
}

fn label_class(v: &[u8], classify: &mut dyn FnMut(&Words) -> Option<FieldClass>) -> Option<FieldClass> {
    const MAX_CLAUSES: usize = 4;
    const MAX_CLAUSE_WORDS: usize = 10;
    let mut tried = 0;
    let mut start = 0;
    for i in 0..=v.len() {
        if i < v.len() && !clause_break(v, i) {
            continue;
        }
        let clause = &v[start..i];
        start = i + 1;
        let words = clause
            .iter()
            .enumerate()
            .filter(|&(j, c)| c.is_ascii_alphanumeric() && (j == 0 || !clause[j - 1].is_ascii_alphanumeric()))
            .count();
        if words == 0 {
            continue;
        }
        tried += 1;
        if words <= MAX_CLAUSE_WORDS {
            let w = Words::split(clause);
            let channel = |x: &[u8]| matches!(x, b"by" | b"via" | b"per" | b"through" | b"using" | b"over");
            if !channel(w.back(1)) && !channel(w.back(2)) {
                if let Some(c) = classify(&w) {
                    return Some(c);
                }
            }
        }
        if tried == MAX_CLAUSES {
            break;
        }
    }
    None
}

/// A named value that is itself the name of the field it is named as: an
/// i18n catalogue's label (`{"key":"label.surname","value":"Surname"}`,
/// `{"key":"form.dob","value":"Date of birth"}`), not a person's. Four
/// words at most, each a word of field names, together naming a field of
/// the same kind (so `Quispe Surname` is no label).
pub fn is_field_label(value: &[u8], kind: FieldKind, classify: &mut dyn FnMut(&Words) -> Option<FieldClass>) -> bool {
    if value.is_empty() || value.len() > 48 {
        return false;
    }
    let w = Words::split(value);
    if w.is_empty() || w.len() > 4 || classify(&w).map(|c| c.kind) != Some(kind) {
        return false;
    }
    (0..w.len()).all(|i| {
        let x = w.back(i);
        person_qualifiers(x)
            || matches!(
                x,
                b"of" | b"e" | b"your" | b"the" | b"number" | b"no" | b"num" | b"date" | b"code" | b"line" | b"id"
            )
            || classify(&Words::split(x)).is_some()
    })
}

fn non_person_contexts(w: &[u8]) -> bool {
    matches!(
        w,
        b"product"
            | b"item"
            | b"sku"
            | b"article"
            | b"catalog"
            | b"catalogue"
            | b"category"
            | b"company"
            | b"organization"
            | b"organisation"
            | b"org"
            | b"brand"
            | b"merchant"
            | b"store"
            | b"shop"
            | b"vendor"
            | b"supplier"
            | b"manufacturer"
            | b"file"
            | b"attachment"
            | b"document"
            | b"app"
            | b"application"
            | b"service"
            | b"host"
            | b"server"
            | b"cluster"
            | b"event"
            | b"project"
            | b"team"
            | b"plan"
            | b"tag"
            | b"label"
            | b"field"
            | b"column"
            | b"table"
            | b"model"
            | b"package"
            | b"repo"
            | b"repository"
            | b"branch"
            | b"device"
            | b"country"
            | b"region"
            | b"currency"
            | b"language"
            | b"locale"
            | b"feature"
            | b"role"
            | b"group"
            | b"queue"
            | b"topic"
            | b"metric"
            | b"course"
            | b"book"
            | b"song"
            | b"album"
            | b"track"
            | b"movie"
            | b"game"
            | b"hotel"
            | b"restaurant"
            | b"venue"
            | b"bank"
            | b"airline"
            | b"carrier"
            | b"line"
            | b"variant"
            | b"option"
            | b"attribute"
            | b"warehouse"
            | b"location"
            | b"office"
            | b"building"
            | b"site"
            | b"campaign"
            | b"template"
            | b"workflow"
            | b"job"
            | b"task"
            | b"pipeline"
            | b"image"
            | b"container"
            | b"pod"
            | b"namespace"
            | b"deployment"
            | b"node"
            | b"environment"
            | b"env"
            | b"config"
            | b"setting"
            | b"permission"
            | b"scope"
            | b"policy"
            | b"rule"
            | b"route"
            | b"endpoint"
            | b"api"
            | b"plugin"
            | b"module"
            | b"library"
            | b"dependency"
            | b"font"
            | b"color"
            | b"colour"
            | b"unit"
            | b"department"
            | b"product_line"
            | b"offer"
            | b"coupon"
            | b"promotion"
            | b"discount"
            | b"tax"
            | b"shipping_method"
            | b"method"
            | b"type"
            | b"kind"
            | b"status"
            | b"state"
            | b"step"
            | b"stage"
            | b"level"
            | b"tier"
            | b"sport"
            | b"league"
    )
}

fn person_contexts(w: &[u8]) -> bool {
    matches!(
        w,
        b"customer"
            | b"user"
            | b"person"
            | b"contact"
            | b"patient"
            | b"employee"
            | b"member"
            | b"owner"
            | b"holder"
            | b"cardholder"
            | b"recipient"
            | b"sender"
            | b"guest"
            | b"passenger"
            | b"beneficiary"
            | b"client"
            | b"applicant"
            | b"student"
            | b"parent"
            | b"spouse"
            | b"buyer"
            | b"seller"
            | b"payer"
            | b"payee"
            | b"traveler"
            | b"traveller"
            | b"subscriber"
            | b"author"
            | b"driver"
            | b"profile"
            | b"account"
            | b"billing"
            | b"shipping"
            | b"people"
            | b"users"
            | b"customers"
            | b"contacts"
            | b"emergency"
            | b"kin"
            | b"child"
            | b"children"
            | b"consumer"
            | b"citizen"
            | b"resident"
            | b"tenant"
            | b"candidate"
    )
}

/// What a container key says about its members.
pub fn context(words: &Words) -> Context {
    if words.is_empty() {
        return Context::Neutral;
    }
    let last = words.back(0);
    let s = singular(last);
    if person_contexts(last) || person_contexts(s) {
        Context::Person
    } else if non_person_contexts(last) || non_person_contexts(s) {
        Context::NonPerson
    } else {
        Context::Neutral
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(k: &str) -> Option<FieldKind> {
        classify(&Words::split(k.as_bytes())).map(|c| c.kind)
    }

    #[test]
    fn search_index_subfields_name_their_field() {
        assert_eq!(kind("lastName.keyword"), Some(FieldKind::PersonName));
        assert_eq!(kind("surname.raw"), Some(FieldKind::PersonName));
        assert_eq!(kind("birthDate.keyword"), Some(FieldKind::BirthDate));
        assert_eq!(kind("keyword"), None);
        assert_eq!(kind("title.keyword"), None);
        assert_eq!(kind("sort"), None);
    }

    #[test]
    fn styles_match() {
        for k in [
            "firstName",
            "first_name",
            "First-Name",
            "FIRST_NAME",
            "firstname",
            "FirstName",
            "given_name",
            "familyName",
            "full name",
            "customerName",
            "cardholder_name",
        ] {
            assert_eq!(kind(k), Some(FieldKind::PersonName), "{k}");
        }
        for k in [
            "dateOfBirth",
            "date_of_birth",
            "DOB",
            "birthDate",
            "birth_date",
            "birthday",
        ] {
            assert_eq!(kind(k), Some(FieldKind::BirthDate), "{k}");
        }
        for k in [
            "street",
            "streetAddress",
            "address_line_1",
            "addressLine2",
            "postcode",
            "postalCode",
            "zip",
            "ZIPCode",
            "billingAddress",
            "city",
        ] {
            assert_eq!(kind(k), Some(FieldKind::PostalAddress), "{k}");
        }
        for k in ["email", "emailAddress", "user_email", "E-Mail", "contactEmail"] {
            assert_eq!(kind(k), Some(FieldKind::Email), "{k}");
        }
        for k in ["phone", "phoneNumber", "mobile", "tel", "homePhone", "phone2"] {
            assert_eq!(kind(k), Some(FieldKind::Phone), "{k}");
        }
        for k in [
            "ssn",
            "passportNumber",
            "passport_no",
            "taxId",
            "national_id",
            "driversLicense",
        ] {
            assert_eq!(kind(k), Some(FieldKind::NationalId), "{k}");
        }
        for k in ["password", "apiKey", "access_token", "client_secret"] {
            assert_eq!(kind(k), Some(FieldKind::Credential), "{k}");
        }
        assert_eq!(kind("iban"), Some(FieldKind::BankAccount));
        assert_eq!(kind("cardNumber"), Some(FieldKind::PaymentCard));
    }

    #[test]
    fn non_person_names() {
        for k in [
            "productName",
            "fileName",
            "hostname",
            "host_name",
            "serviceName",
            "server_ip_address",
            "remote_addr",
            "id",
            "count",
            "description",
            "created_at",
            "token",
            "mail_server",
            "REDIS_ADDR",
            "KAFKA_BROKER_ADDRESS",
            "otel_collector_addr",
        ] {
            assert_eq!(kind(k), None, "{k}");
        }
    }

    #[test]
    fn contexts() {
        assert_eq!(context(&Words::split(b"product")), Context::NonPerson);
        assert_eq!(context(&Words::split(b"items")), Context::NonPerson);
        assert_eq!(context(&Words::split(b"line_items")), Context::NonPerson);
        assert_eq!(context(&Words::split(b"customer")), Context::Person);
        assert_eq!(context(&Words::split(b"data")), Context::Neutral);
    }

    #[test]
    fn pair_roles() {
        let role = |k: &str| pair_role(&Words::split(k.as_bytes()));
        for k in [
            "name",
            "field_name",
            "fieldName",
            "Property",
            "attribute",
            "key",
            "label",
            "id",
            "path",
        ] {
            assert_eq!(role(k), Some(Role::Naming(Strength::Strong)), "{k}");
        }
        for k in ["type", "kind", "system", "code", "url"] {
            assert_eq!(role(k), Some(Role::Naming(Strength::Weak)), "{k}");
        }
        for k in [
            "value",
            "VALUE",
            "fieldValue",
            "attribute_value",
            "newValue",
            "values",
            "valueString",
            "val",
            "v",
        ] {
            assert_eq!(role(k), Some(Role::Named(Strength::Strong)), "{k}");
        }
        for k in ["data", "text", "content"] {
            assert_eq!(role(k), Some(Role::Named(Strength::Weak)), "{k}");
        }
        for k in ["email", "surname", "valuation", "names", "description", "product_name"] {
            assert_eq!(role(k), None, "{k}");
        }
        // Magento, WordPress, FHIR, HTML forms, converters' attributes
        for k in [
            "attribute_code",
            "meta_key",
            "linkId",
            "input_name",
            "keyName",
            "option_name",
            "attributes",
            "_attributes",
            "@name",
        ] {
            assert_eq!(role(k), Some(Role::Naming(Strength::Strong)), "{k}");
        }
        assert_eq!(role("meta_value"), Some(Role::Named(Strength::Strong)));
        for k in ["answer", "answers", "input", "user_input"] {
            assert_eq!(role(k), Some(Role::Answer), "{k}");
        }
        for k in [
            "#text",
            "_text",
            "__cdata",
            "field_data",
            "attributeText",
            "property_content",
        ] {
            assert_eq!(role(k), Some(Role::Named(Strength::Weak)), "{k}");
        }
        for k in ["$", "_", "#"] {
            assert_eq!(role(k), Some(Role::Holder), "{k}");
        }
        for k in [
            "meta",
            "link",
            "input_type",
            "answer_count",
            "product_code",
            "user_id",
            "user_data",
            "metadata",
        ] {
            assert_eq!(role(k), None, "{k}");
        }
        for k in ["default_field", "defaultField", "df", "qf", "searchFields", "query_by"] {
            assert_eq!(role(k), Some(Role::DefaultFields(Strength::Strong)), "{k}");
        }
        assert_eq!(role("fields"), Some(Role::DefaultFields(Strength::Weak)));
        assert_eq!(role("query"), Some(Role::Query));
        assert_eq!(role("q"), Some(Role::Query));
        assert_eq!(role("search"), Some(Role::Query));
        assert_eq!(role("queries"), None);
    }

    #[test]
    fn naming_values() {
        let kind = |v: &str| naming_value_class(v.as_bytes(), &mut |w| classify(w)).map(|c| c.kind);
        assert_eq!(kind("surname"), Some(FieldKind::PersonName));
        assert_eq!(kind("E-Mail"), Some(FieldKind::Email));
        assert_eq!(kind("date of birth"), Some(FieldKind::BirthDate));
        assert_eq!(kind("/addresses/0/street"), Some(FieldKind::PostalAddress));
        assert_eq!(kind("/emails/-"), Some(FieldKind::Email));
        assert_eq!(kind("http://hl7.org/fhir/sid/us-ssn"), Some(FieldKind::NationalId));
        assert_eq!(kind("color"), None);
        assert_eq!(kind("id"), None);
        // prose is no field name
        assert_eq!(kind("Tell us how you heard about our email newsletter"), None);
        assert_eq!(kind(""), None);
    }

    #[test]
    fn naming_values_spelled_as_paths_labels_questions() {
        let kind = |v: &str| naming_value_class(v.as_bytes(), &mut |w| classify(w)).map(|c| c.kind);
        // a sub-field under its field
        assert_eq!(kind("/name/0/family"), Some(FieldKind::PersonName));
        assert_eq!(kind("/name/0/given/0"), Some(FieldKind::PersonName));
        assert_eq!(kind("name[0].given"), Some(FieldKind::PersonName));
        assert_eq!(kind("email.address"), Some(FieldKind::Email));
        assert_eq!(kind("/name/0/use"), None);
        assert_eq!(kind("/items/3/sku"), None);
        // labels and questions by their clauses
        assert_eq!(kind("Surname (required)"), Some(FieldKind::PersonName));
        assert_eq!(kind("Last name - required"), Some(FieldKind::PersonName));
        assert_eq!(kind("Last name \u{2014} required"), Some(FieldKind::PersonName));
        assert_eq!(kind("Date of birth (DD/MM/YYYY)"), Some(FieldKind::BirthDate));
        assert_eq!(kind("What is your date of birth?"), Some(FieldKind::BirthDate));
        assert_eq!(kind("Please enter your e-mail address"), Some(FieldKind::Email));
        assert_eq!(
            kind("Could you please tell us your mother's maiden name?"),
            Some(FieldKind::PersonName)
        );
        assert_eq!(kind("Optional: phone"), Some(FieldKind::Phone));
        // a channel, prose, notes
        assert_eq!(kind("Newsletter (sent by e-mail)"), None);
        assert_eq!(kind("Would you like the newsletter by email?"), None);
        assert_eq!(
            kind("Tell us how you heard about our email newsletter (optional)"),
            None
        );
        assert_eq!(
            kind("one two three four five six seven eight nine ten eleven email"),
            None
        );
        // four clauses at most
        assert_eq!(kind("a, b, c, d, email"), None);
        assert_eq!(kind(&"x ".repeat(90)), None);
    }

    #[test]
    fn field_labels() {
        let label = |v: &str, k: FieldKind| is_field_label(v.as_bytes(), k, &mut |w| classify(w));
        assert!(label("Surname", FieldKind::PersonName));
        assert!(label("Nachname", FieldKind::PersonName));
        assert!(label("Date of birth", FieldKind::BirthDate));
        assert!(label("E-mail address", FieldKind::Email));
        assert!(label("Your last name", FieldKind::PersonName));
        assert!(!label("Quispe", FieldKind::PersonName));
        assert!(!label("Quispe Surname", FieldKind::PersonName));
        assert!(!label("Family", FieldKind::PersonName));
        assert!(!label("Surname", FieldKind::Email));
        assert!(!label("1970-01-02", FieldKind::BirthDate));
    }

    #[test]
    fn words_split() {
        let w = Words::split(b"HTTPServerName_v2");
        assert_eq!(w.joined(), b"httpservernamev2");
        assert_eq!(w.len(), 5);
    }
}
