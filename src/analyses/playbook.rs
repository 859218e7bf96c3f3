//! A3, the playbook: per segment label of a segmentation, the goal and the
//! suggested actions, in English and Dutch, to join onto the segments.
//! Sources: the Customer Value group descriptions (seeds 000/001: SOL buyers
//! wait for the sales, ACT holds the most loyal, COLD still has a
//! relationship to keep, 4 LOST slips away unless reactivated in time, 5
//! LOST is hardly reachable by general communication); the strategies per
//! value/loyalty segment (seeds 002/003, their words); the 20-60-20 tiers and
//! the three CLV tactics of seed 004 (customer service, personalised
//! interaction, cross- and upselling) and its quadrant map of CLV against the
//! length of the relationship; for RFM the usual actions of the named
//! segments. The goals and actions beyond the seeds' words are ours.

use std::str::FromStr;

use crate::error::{CoreError, Result};

/// The segmentations with a playbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cv,
    Rfm,
    ValueLoyalty,
    ClvTier,
    TenureQuadrant,
}

impl FromStr for Kind {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "cv" => Kind::Cv,
            "rfm" => Kind::Rfm,
            "value_loyalty" => Kind::ValueLoyalty,
            "clv_tier" => Kind::ClvTier,
            "tenure_quadrant" => Kind::TenureQuadrant,
            _ => {
                return Err(CoreError::Config(format!(
                    "kind must be one of \"cv\", \"rfm\", \"value_loyalty\", \"clv_tier\", \"tenure_quadrant\", got {s:?} (rule A3)"
                )))
            }
        })
    }
}

/// The languages of the playbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Nl,
}

impl FromStr for Lang {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "en" => Ok(Lang::En),
            "nl" => Ok(Lang::Nl),
            _ => Err(CoreError::Config(format!(
                "lang must be \"en\" or \"nl\", got {s:?} (rule A3)"
            ))),
        }
    }
}

/// One segment's entry: its labels (one per key column), goal and actions
/// (English, Dutch) and where they come from.
#[derive(Debug)]
pub struct Entry {
    pub labels: &'static [&'static str],
    goal: [&'static str; 2],
    actions: [&'static str; 2],
    pub source: &'static str,
}

impl Entry {
    pub fn goal(&self, lang: Lang) -> &'static str {
        self.goal[lang as usize]
    }

    pub fn actions(&self, lang: Lang) -> &'static str {
        self.actions[lang as usize]
    }
}

/// The key columns of a kind's table: the result columns it joins on.
pub fn key_columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Cv => &["cv_group", "cv_segment"],
        Kind::Rfm => &["rfm_segment"],
        Kind::ValueLoyalty => &["value_loyalty"],
        Kind::ClvTier => &["clv_tier"],
        Kind::TenureQuadrant => &["tenure_quadrant"],
    }
}

/// The entries of a kind, in the category order of its labels.
pub fn entries(kind: Kind) -> &'static [Entry] {
    match kind {
        Kind::Cv => CV,
        Kind::Rfm => RFM,
        Kind::ValueLoyalty => VALUE_LOYALTY,
        Kind::ClvTier => CLV_TIER,
        Kind::TenureQuadrant => TENURE,
    }
}

const fn e(
    labels: &'static [&'static str],
    goal: [&'static str; 2],
    actions: [&'static str; 2],
    source: &'static str,
) -> Entry {
    Entry {
        labels,
        goal,
        actions,
        source,
    }
}

const CV_SEEDS: &str = "seeds 000/001 (Customer Value groups); actions ours";

const CV: &[Entry] = &[
    e(&["0 SOL", "ACT"],
      ["Profit from the sales without teaching more customers to wait for them", "Profiteer van de solden zonder meer klanten te leren erop te wachten"],
      ["Early access to the next sales; test a full-price novelty offer between the sales; no discounts outside the sales", "Vroege toegang tot de volgende solden; test een nieuwigheid aan volle prijs tussen de solden; geen korting buiten de solden"],
      CV_SEEDS),
    e(&["0 SOL", "COLD"],
      ["Bring them back at the next sales", "Haal ze terug bij de volgende solden"],
      ["Reminder just before the sales; sales preview with their past categories", "Herinnering vlak voor de solden; soldenpreview met hun vroegere categorieën"],
      CV_SEEDS),
    e(&["0 SOL", "LOST"],
      ["Keep costs low", "Houd de kosten laag"],
      ["Only the general sales announcement", "Enkel de algemene soldenaankondiging"],
      CV_SEEDS),
    e(&["1 NEW", "NEW"],
      ["A second purchase: the only group that grows during the period", "Een tweede aankoop: de enige groep die groeit tijdens de periode"],
      ["Welcome series; an incentive for the second purchase; ask for preferences and permissions", "Welkomstreeks; een incentive voor de tweede aankoop; vraag voorkeuren en permissies"],
      CV_SEEDS),
    e(&["2 ACT", "PLATINA"],
      ["Keep and reward the best 5% of the active customers", "Behoud en beloon de beste 5% van de actieve klanten"],
      ["Premium service and a personal contact; exclusive offers and previews; co-creation and ambassador programmes", "Premium service en een persoonlijk contact; exclusieve aanbiedingen en previews; co-creatie en ambassadeursprogramma's"],
      CV_SEEDS),
    e(&["2 ACT", "GOLD"],
      ["Grow them to PLATINA", "Laat ze doorgroeien naar PLATINA"],
      ["Loyalty rewards; personalised cross- and upselling; previews of premium ranges", "Loyaliteitsbeloningen; gepersonaliseerde cross- en upselling; previews van premium gamma's"],
      CV_SEEDS),
    e(&["2 ACT", "SILVER"],
      ["Raise the spend per customer", "Verhoog de besteding per klant"],
      ["Cross-selling from their categories; bundles; personalised recommendations", "Cross-selling vanuit hun categorieën; bundels; gepersonaliseerde aanbevelingen"],
      CV_SEEDS),
    e(&["2 ACT", "BRONZE"],
      ["Keep them active at low cost", "Houd ze actief tegen lage kosten"],
      ["Automated communication and service; cost-efficient retention programmes; test upsell offers", "Geautomatiseerde communicatie en service; kostenefficiënte retentieprogramma's; test upsell-aanbiedingen"],
      CV_SEEDS),
    e(&["2 ACT", "JUNIOR"],
      ["Turn one purchase into a habit", "Maak van één aankoop een gewoonte"],
      ["Follow-up on the first purchase; a second-purchase incentive; onboarding content", "Opvolging van de eerste aankoop; een incentive voor een tweede aankoop; onboarding-inhoud"],
      CV_SEEDS),
    e(&["3 COLD", "L"],
      ["Win back large spenders while there is still a relationship", "Win grote kopers terug zolang er nog een relatie is"],
      ["Personal contact; a reactivation offer of real value; ask what changed", "Persoonlijk contact; een reactivatie-aanbod met echte waarde; vraag wat er veranderde"],
      CV_SEEDS),
    e(&["3 COLD", "M"],
      ["Reactivate", "Reactiveer"],
      ["Recommendations from their past purchases; a time-limited reactivation offer", "Aanbevelingen op basis van hun vroegere aankopen; een tijdelijk reactivatie-aanbod"],
      CV_SEEDS),
    e(&["3 COLD", "S"],
      ["Reactivate at low cost", "Reactiveer tegen lage kosten"],
      ["Automated reactivation campaign", "Geautomatiseerde reactivatiecampagne"],
      CV_SEEDS),
    e(&["3 COLD", "XS"],
      ["Keep in touch cheaply", "Blijf goedkoop in contact"],
      ["Low-cost reminders (e-mail) with popular products", "Goedkope herinneringen (e-mail) met populaire producten"],
      CV_SEEDS),
    e(&["3 COLD", "JUNIOR"],
      ["A second chance after one purchase", "Een tweede kans na één aankoop"],
      ["A low-cost second-purchase offer", "Een goedkoop aanbod voor een tweede aankoop"],
      CV_SEEDS),
    e(&["4 LOST", "L"],
      ["Reactivate in time or lose them: the most valuable of the lapsing", "Reactiveer op tijd of verlies ze: de meest waardevolle afhakers"],
      ["Last-chance win-back with a strong offer; a short survey on why they left", "Laatste-kans win-back met een sterk aanbod; een korte bevraging naar het waarom"],
      CV_SEEDS),
    e(&["4 LOST", "M"],
      ["Reactivate in time", "Reactiveer op tijd"],
      ["Win-back campaign with an incentive", "Win-backcampagne met een incentive"],
      CV_SEEDS),
    e(&["4 LOST", "S"],
      ["Reactivate at low cost", "Reactiveer tegen lage kosten"],
      ["Automated win-back", "Geautomatiseerde win-back"],
      CV_SEEDS),
    e(&["4 LOST", "XS"],
      ["Minimise investment", "Minimaliseer investeringen"],
      ["General communication only", "Enkel algemene communicatie"],
      CV_SEEDS),
    e(&["5 LOST", "LOST"],
      ["Limit costs: hardly any relationship is left", "Beperk de kosten: er is bijna geen relatie meer"],
      ["Leave out of regular mailings; an occasional targeted reactivation test; review permissions and data quality", "Niet meer in de gewone mailings; af en toe een gerichte reactivatietest; permissies en datakwaliteit nakijken"],
      CV_SEEDS),
];

const RFM_USUAL: &str = "the usual actions of the named RFM segments";

const RFM: &[Entry] = &[
    e(&["Champions"], ["Reward and keep", "Belonen en behouden"],
      ["Early access to new products; loyalty rewards; ask for reviews and referrals", "Vroege toegang tot nieuwe producten; loyaliteitsbeloningen; vraag reviews en doorverwijzingen"], RFM_USUAL),
    e(&["Potential Loyalist"], ["Turn into loyal customers", "Maak er loyale klanten van"],
      ["Membership or loyalty programme; personalised recommendations", "Lidmaatschap of loyaliteitsprogramma; gepersonaliseerde aanbevelingen"], RFM_USUAL),
    e(&["Loyal Customers"], ["Grow their value", "Laat hun waarde groeien"],
      ["Upsell higher-value products; ask for reviews; engage them", "Upsell van producten met hogere waarde; vraag reviews; betrek ze"], RFM_USUAL),
    e(&["Promising"], ["Build the relationship", "Bouw de relatie op"],
      ["Brand awareness; free samples or trials", "Merkbekendheid; gratis stalen of proefaanbiedingen"], RFM_USUAL),
    e(&["New Customers"], ["A good start", "Een goede start"],
      ["Onboarding support; a second-purchase offer", "Onboarding; een aanbod voor een tweede aankoop"], RFM_USUAL),
    e(&["Can't Lose Them"], ["Win them back before a competitor does", "Win ze terug voor een concurrent het doet"],
      ["Personal contact; renewals and new products; do not lose them to the competition", "Persoonlijk contact; vernieuwingen en nieuwe producten; verlies ze niet aan de concurrentie"], RFM_USUAL),
    e(&["At Risk"], ["Reconnect", "Herstel het contact"],
      ["Personalised e-mails; renewals; helpful content", "Gepersonaliseerde e-mails; vernieuwingen; nuttige inhoud"], RFM_USUAL),
    e(&["Need Attention"], ["Reactivate", "Reactiveer"],
      ["Time-limited offers; recommendations from past purchases", "Tijdelijke aanbiedingen; aanbevelingen op basis van vroegere aankopen"], RFM_USUAL),
    e(&["About To Sleep"], ["Keep them from lapsing", "Voorkom dat ze afhaken"],
      ["Popular products; a discount; useful content to reconnect", "Populaire producten; een korting; nuttige inhoud om opnieuw te verbinden"], RFM_USUAL),
    e(&["Lost"], ["Limit costs", "Beperk de kosten"],
      ["One outreach campaign to revive interest; otherwise leave out", "Eén campagne om de interesse te wekken; anders niet meer benaderen"], RFM_USUAL),
    e(&["Others"], ["No rule matched", "Geen regel van toepassing"],
      ["General communication; review the rules table (R3)", "Algemene communicatie; herzie de regeltabel (R3)"], RFM_USUAL),
];

const SEED_002: &str = "seeds 002/003 (strategies per segment)";

const VALUE_LOYALTY: &[Entry] = &[
    e(&["high value / high loyalty"], ["Most profitable, promoters", "Meest winstgevend, promotors"],
      ["Reward with exclusive offers; engage in beta testing and co-creation; ambassador programs", "Belonen met exclusieve aanbiedingen; betrekken bij beta-tests en co-creatie; ambassadorprogramma’s"], SEED_002),
    e(&["high value / low loyalty"], ["Great potential but risk of churn", "Groot potentieel maar risico op churn"],
      ["Proactive account management; personal follow-ups; incentives to increase loyalty", "Proactief accountmanagement; persoonlijke follow-ups; incentives om loyaliteit te vergroten"], SEED_002),
    e(&["low value / high loyalty"], ["Loyal but limited financial returns", "Loyaal maar beperkt financieel rendement"],
      ["Automating communication and service; cost-effective retention programs", "Automatiseren van communicatie en service; kosten-efficiënte retentieprogramma’s"], SEED_002),
    e(&["low value / low loyalty"], ["Little strategic value", "Weinig strategische waarde"],
      ["Minimise investments; focus on conversion and upsell opportunities", "Minimaliseer investeringen; focus op conversie en upsell mogelijkheden"], SEED_002),
];

const SEED_004: &str = "seed 004 (20-60-20 and the three CLV tactics); actions ours";

const CLV_TIER: &[Entry] = &[
    e(
        &["high"],
        [
            "The most valuable 20%: first priority",
            "De meest waardevolle 20%: eerste prioriteit",
        ],
        [
            "A premium experience; the best customer service; personalised interactions",
            "Een premium ervaring; de beste klantenservice; gepersonaliseerde interacties",
        ],
        SEED_004,
    ),
    e(
        &["medium"],
        [
            "The middle 60%: grow their value",
            "De middelste 60%: laat hun waarde groeien",
        ],
        [
            "Cross- and upselling; personalised offers at the right moment",
            "Cross- en upselling; gepersonaliseerde aanbiedingen op het juiste moment",
        ],
        SEED_004,
    ),
    e(
        &["low"],
        [
            "The last 20%: serve efficiently",
            "De laatste 20%: efficiënt bedienen",
        ],
        [
            "Automated communication and self-service; conversion offers",
            "Geautomatiseerde communicatie en selfservice; conversie-aanbiedingen",
        ],
        SEED_004,
    ),
];

const SEED_004_MAP: &str =
    "seed 004 (quadrant map of CLV against the length of the relationship); actions ours";

const TENURE: &[Entry] = &[
    e(
        &["high value / long tenure"],
        ["Keep the core", "Behoud de kern"],
        [
            "Premium service; personal contact; ambassador programmes",
            "Premium service; persoonlijk contact; ambassadeursprogramma's",
        ],
        SEED_004_MAP,
    ),
    e(
        &["high value / short tenure"],
        [
            "Secure a valuable new relationship",
            "Verzeker een waardevolle nieuwe relatie",
        ],
        [
            "Personal onboarding and follow-up; loyalty incentives early on",
            "Persoonlijke onboarding en opvolging; vroege loyaliteitsincentives",
        ],
        SEED_004_MAP,
    ),
    e(
        &["low value / long tenure"],
        [
            "Grow the value of loyal customers",
            "Laat de waarde van trouwe klanten groeien",
        ],
        [
            "Cross- and upselling; automated service",
            "Cross- en upselling; geautomatiseerde service",
        ],
        SEED_004_MAP,
    ),
    e(
        &["low value / short tenure"],
        ["Convert or limit costs", "Converteer of beperk de kosten"],
        [
            "Automated nurturing; conversion offers; minimal investment",
            "Geautomatiseerde nurturing; conversie-aanbiedingen; minimale investering",
        ],
        SEED_004_MAP,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::{QUADRANTS, TENURE_QUADRANTS, TIERS};
    use crate::customer_value::{GROUPS, SEGMENTS};

    fn labels(kind: Kind, col: usize) -> Vec<&'static str> {
        entries(kind).iter().map(|e| e.labels[col]).collect()
    }

    #[test]
    fn a3_every_label_of_the_rules_has_an_entry_in_category_order() {
        assert_eq!(labels(Kind::ValueLoyalty, 0), QUADRANTS);
        assert_eq!(labels(Kind::ClvTier, 0), TIERS);
        assert_eq!(labels(Kind::TenureQuadrant, 0), TENURE_QUADRANTS);
        let mut rfm: Vec<String> = crate::rfm::default_rules()
            .into_iter()
            .map(|r| r.name)
            .collect();
        rfm.push(crate::rfm::OTHERS.to_string());
        assert_eq!(labels(Kind::Rfm, 0), rfm);
        // CV4: the segments each group can hold.
        let pairs: Vec<(&str, &str)> = CV.iter().map(|e| (e.labels[0], e.labels[1])).collect();
        let want = [
            (0, &[11, 12, 10][..]),
            (1, &[9]),
            (2, &[0, 1, 2, 3, 4]),
            (3, &[5, 6, 7, 8, 4]),
            (4, &[5, 6, 7, 8]),
            (5, &[10]),
        ];
        let want: Vec<(&str, &str)> = want
            .iter()
            .flat_map(|(g, ss)| ss.iter().map(move |&s| (GROUPS[*g], SEGMENTS[s])))
            .collect();
        assert_eq!(pairs, want);
    }

    #[test]
    fn a3_every_entry_speaks_both_languages() {
        for kind in [
            Kind::Cv,
            Kind::Rfm,
            Kind::ValueLoyalty,
            Kind::ClvTier,
            Kind::TenureQuadrant,
        ] {
            for e in entries(kind) {
                assert_eq!(e.labels.len(), key_columns(kind).len());
                for lang in [Lang::En, Lang::Nl] {
                    assert!(!e.goal(lang).is_empty() && !e.actions(lang).is_empty());
                }
                assert_ne!(e.actions(Lang::En), e.actions(Lang::Nl));
            }
        }
        assert!("xx".parse::<Lang>().is_err() && "cv".parse::<Kind>().is_ok());
    }
}
