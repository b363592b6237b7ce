import Testing
import TideSchema

@Test(arguments: [
    ("Note", "Notes"),
    ("Comment", "Comments"),
    ("Category", "Categories"),
    ("TaskCategory", "TaskCategories"),
    ("Address", "Addresses"),
    ("Box", "Boxes"),
    ("Status", "Statuses"),
    ("Bus", "Buses"),
    ("Match", "Matches"),
    ("Wish", "Wishes"),
    ("Quiz", "Quizzes"),
    ("Day", "Days"),
    ("Key", "Keys"),
    ("Person", "People"),
    ("BlogPerson", "BlogPeople"),
    ("Child", "Children"),
    ("Man", "Men"),
    ("Mouse", "Mice"),
    ("Tooth", "Teeth"),
    ("Leaf", "Leaves"),
    ("Knife", "Knives"),
    ("Hero", "Heroes"),
    ("Photo", "Photos"),
    ("Analysis", "Analyses"),
    ("Index", "Indices"),
    ("Matrix", "Matrices"),
    ("Datum", "Data"),
    ("Data", "Data"),
    ("Criterion", "Criteria"),
    ("Equipment", "Equipment"),
    ("News", "News"),
    ("Sheep", "Sheep"),
    ("Series", "Series"),
    ("Todo", "Todos"),
    ("NOTE", "NOTES"),
    ("note", "notes"),
])
func pluralizesLikeAmplify(_ singular: String, _ plural: String) {
    #expect(Pluralization.plural(singular) == plural)
}
